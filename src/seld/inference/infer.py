"""Whole-clip inference of any length: windowed, overlap-averaged, on the model's device."""

from __future__ import annotations

import contextlib

import torch

from ..constants import LABEL_HOP_S, SAMPLES_PER_FRAME
from ..formats import OutputFormat, get_format

PRECISIONS = ("fp32", "bf16")


def prepare_for_inference(model: torch.nn.Module, precision: str = "fp32") -> torch.nn.Module:
    """Eval mode; for ``bf16`` also channels-last weights, which oneDNN (CPU) and cuDNN run fastest in bf16."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    model.eval()
    if precision == "bf16":
        model.to(memory_format=torch.channels_last)
    return model


def precision_context(device: torch.device, precision: str) -> contextlib.AbstractContextManager[object]:
    """Autocast to bfloat16 for ``bf16`` (matmuls and convolutions; sigmoid and outputs stay float32)."""
    if precision == "bf16":
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def posteriors(model: torch.nn.Module, wave: torch.Tensor, precision: str = "fp32") -> dict[str, torch.Tensor]:
    """Run the model on a batch (B, C, N) and turn its outputs into posteriors (its format's rule; float32)."""
    with precision_context(wave.device, precision):
        out = model(wave)
    return get_format(model.output_format).posteriors(out)


@torch.no_grad()
def infer_clip(
    model: torch.nn.Module,
    wave: torch.Tensor,
    window_s: float | None = 30.0,
    hop_s: float | None = None,
    precision: str = "fp32",
) -> dict[str, torch.Tensor]:
    """Posteriors for a whole clip (C, N): ``sed`` probabilities and ``doa`` per label frame.

    The clip is zero-padded to whole label frames, cut into windows of ``window_s`` seconds with hop
    ``hop_s`` (default half a window; ``window_s=None`` = one pass), and the windows are averaged where
    they overlap. Track-wise outputs are aligned to the running estimate before averaging.
    Returns tensors on the CPU with ``T = ceil(N / 3200)`` frames. ``precision="bf16"`` runs the model under
    bfloat16 autocast (prepare it with :func:`prepare_for_inference`).
    """
    fmt = get_format(model.output_format)
    device = next(model.parameters()).device
    n = wave.shape[-1]
    n_frames = max(1, -(-n // SAMPLES_PER_FRAME))
    wave = torch.nn.functional.pad(wave, (0, n_frames * SAMPLES_PER_FRAME - n))
    win = n_frames if window_s is None else max(1, int(round(window_s / LABEL_HOP_S)))
    if win >= n_frames:
        out = posteriors(model, wave[None].to(device), precision)
        return {k: v[0].cpu() for k, v in out.items()}
    hop = max(1, int(round((hop_s if hop_s is not None else window_s / 2) / LABEL_HOP_S)))
    starts = list(range(0, n_frames - win + 1, hop))
    if starts[-1] != n_frames - win:
        starts.append(n_frames - win)
    acc: dict[str, torch.Tensor] = {}
    count = torch.zeros(n_frames)
    for s in starts:
        chunk = wave[:, s * SAMPLES_PER_FRAME : (s + win) * SAMPLES_PER_FRAME][None].to(device)
        out = {k: v[0].cpu() for k, v in posteriors(model, chunk, precision).items()}
        if not acc:
            acc = {k: torch.zeros((n_frames, *v.shape[1:])) for k, v in out.items()}
        _align_to_accumulated(fmt, out, acc, count, s, win)
        for k in acc:
            acc[k][s : s + win] += out[k]
        count[s : s + win] += 1
    return {k: v / count.view(-1, *(1,) * (v.dim() - 1)) for k, v in acc.items()}


def _align_to_accumulated(
    fmt: OutputFormat, out: dict[str, torch.Tensor], acc: dict[str, torch.Tensor], count: torch.Tensor, s: int, win: int
) -> None:
    """Align a window's output (in place) to the running average of the windows before it, where they overlap."""
    seen = count[s : s + win] > 0
    if not seen.any():
        return
    denom = count[s : s + win][seen].clamp(min=1)
    reference = {k: acc[k][s : s + win][seen] / denom.view(-1, *(1,) * (acc[k].dim() - 1)) for k in acc}
    aligned = fmt.align(reference, {k: v[seen] for k, v in out.items()})
    for k in out:
        out[k][seen] = aligned[k]


@torch.no_grad()
def infer_ensemble(
    models: list[torch.nn.Module],
    wave: torch.Tensor,
    window_s: float | None = 30.0,
    hop_s: float | None = None,
    precision: str = "fp32",
) -> dict[str, torch.Tensor]:
    """Posterior ensemble: each model's clip posteriors, aligned (track-wise models) and averaged."""
    outs = [infer_clip(m, wave, window_s, hop_s, precision) for m in models]
    if len(outs) == 1:
        return outs[0]
    return get_format(models[0].output_format).ensemble(outs)
