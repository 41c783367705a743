"""Cross-stitch unit (paper eq. 3): soft parameter sharing between the SED and DOA branches."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class CrossStitch(nn.Module):
    """Per-channel 2x2 mixing of two feature maps.

    For channel c: ``sed' = a_S * sed + a_D * doa`` and ``doa' = b_D * sed + b_S * doa``; both outputs
    use the same (un-mixed) inputs. ``weight`` has shape (2, 2, C): ``weight[0] = (a_S, a_D)`` and
    ``weight[1] = (b_D, b_S)``, initialised to (diag, off) = ``init`` (paper code: 0.9 / 0.1, i.e.
    near identity so each branch starts mostly on its own features). ``dim`` is the channel axis:
    1 for (B, C, T, F) maps, -1 for (B, T, C) sequences.
    """

    def __init__(self, channels: int, init: Sequence[float] = (0.9, 0.1), dim: int = 1) -> None:
        super().__init__()
        diag, off = float(init[0]), float(init[1])
        weight = torch.empty(2, 2, channels)
        weight[0, 0] = diag
        weight[0, 1] = off
        weight[1, 0] = off
        weight[1, 1] = diag
        self.weight = nn.Parameter(weight)
        self.channels = channels
        self.dim = dim

    def _shape(self, ndim: int) -> list[int]:
        dim = self.dim % ndim
        return [self.channels if i == dim else 1 for i in range(ndim)]

    def forward(self, sed: torch.Tensor, doa: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        shape = self._shape(sed.ndim)
        w = self.weight.to(sed.dtype)
        a_s, a_d = w[0, 0].reshape(shape), w[0, 1].reshape(shape)
        b_d, b_s = w[1, 0].reshape(shape), w[1, 1].reshape(shape)
        return a_s * sed + a_d * doa, b_d * sed + b_s * doa

    def extra_repr(self) -> str:
        return f"channels={self.channels}, dim={self.dim}"
