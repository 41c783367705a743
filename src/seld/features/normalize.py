"""Per-channel, per-mel-bin feature standardisation and the statistics it needs."""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor, nn


class FeatureNormalizer(nn.Module):
    """``(x - mean) / std`` with ``mean`` and ``std`` buffers of shape ``(channels, n_mels)``."""

    def __init__(self, channels: int, n_mels: int) -> None:
        super().__init__()
        self.channels = channels
        self.n_mels = n_mels
        self.register_buffer("mean", torch.zeros(channels, n_mels))
        self.register_buffer("std", torch.ones(channels, n_mels))

    @torch.no_grad()
    def set_stats(self, mean: Tensor, std: Tensor) -> None:
        """Copy statistics ``(channels, n_mels)`` into the buffers (device and dtype of the buffers kept)."""
        mean = torch.as_tensor(mean)
        std = torch.as_tensor(std)
        expected = (self.channels, self.n_mels)
        if tuple(mean.shape) != expected or tuple(std.shape) != expected:
            raise ValueError(
                f"feature statistics must have shape {expected}, got {tuple(mean.shape)} / {tuple(std.shape)}"
            )
        self.mean.copy_(mean)
        self.std.copy_(std)

    def forward(self, x: Tensor) -> Tensor:
        """Standardise features ``(B, channels, T, n_mels)``."""
        return (x - self.mean[:, None, :]) / self.std[:, None, :]

    def extra_repr(self) -> str:
        return f"channels={self.channels}, n_mels={self.n_mels}"


@torch.no_grad()
def compute_feature_stats(
    frontend: nn.Module,
    waves: Iterable[Tensor],
    device: str | torch.device = "cpu",
    min_std: float = 1e-5,
) -> tuple[Tensor, Tensor]:
    """Mean and std ``(channels, n_mels)`` of ``frontend`` features over all frames of all clips.

    ``waves`` yields waveforms ``(C, N)`` (tensors or arrays, any lengths). The front end runs on ``device``
    (and is moved back afterwards); sums and sums of squares are accumulated in float64, so memory does
    not grow with the data. The std is floored at
    ``min_std``. Returns float32 CPU tensors.
    """
    was_training = frontend.training
    tensors = [*frontend.parameters(), *frontend.buffers()]
    home = tensors[0].device if tensors else torch.device("cpu")
    frontend.to(device)  # computed where asked; moved back afterwards
    frontend.eval()
    total: Tensor | None = None
    total_sq: Tensor | None = None
    count = 0
    try:
        for wave in waves:
            w = torch.as_tensor(wave, dtype=torch.float32).to(device)
            if w.dim() != 2:
                raise ValueError(f"expected a waveform (C, N), got shape {tuple(w.shape)}")
            feats = frontend(w[None]).to(torch.float64)[0]  # (channels, T, n_mels)
            if feats.shape[1] == 0:
                continue
            s = feats.sum(dim=1)
            sq = feats.square().sum(dim=1)
            total = s if total is None else total + s
            total_sq = sq if total_sq is None else total_sq + sq
            count += feats.shape[1]
    finally:
        frontend.train(was_training)
        frontend.to(home)
    if total is None or total_sq is None or count == 0:
        raise ValueError("no feature frames to compute statistics from")
    mean = total / count
    var = torch.clamp(total_sq / count - mean.square(), min=0.0)
    std = torch.clamp(torch.sqrt(var), min=min_std)
    return mean.float().cpu(), std.float().cpu()
