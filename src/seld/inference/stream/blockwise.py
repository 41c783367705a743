"""Offline inference of a long recording read in blocks: the windows of ``infer_clip``, in bounded memory.

:func:`blockwise_posteriors` computes exactly what :func:`seld.inference.infer.infer_ensemble` computes on
the whole clip (same windows, same alignment to the running average, same averaging and ensemble, in the
same order of floating-point operations), but from an iterator of audio chunks: it keeps one window of
audio and the running sums of the frames that a later window can still reach, and yields each stretch of
frames as soon as no later window covers it. Memory is bounded by the window length, not the recording's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import torch

from ...constants import LABEL_HOP_S, SAMPLES_PER_FRAME
from ...formats import get_format
from ..infer import _align_to_accumulated, posteriors

Post = dict[str, torch.Tensor]


def window_plan(n_samples: int, window_s: float | None, hop_s: float | None) -> tuple[int, int, list[int]]:
    """``(n_frames, window_frames, starts)`` as :func:`~seld.inference.infer.infer_clip` chooses them
    (one window over the clip when it is not longer than a window)."""
    n_frames = max(1, -(-n_samples // SAMPLES_PER_FRAME))
    win = n_frames if window_s is None else max(1, int(round(window_s / LABEL_HOP_S)))
    if win >= n_frames:
        return n_frames, n_frames, [0]
    assert window_s is not None
    hop = max(1, int(round((hop_s if hop_s is not None else window_s / 2) / LABEL_HOP_S)))
    starts = list(range(0, n_frames - win + 1, hop))
    if starts[-1] != n_frames - win:
        starts.append(n_frames - win)
    return n_frames, win, starts


class _Audio:
    """The samples of a chunk iterator from ``base`` on, zero-padded after ``n_samples``."""

    def __init__(self, chunks: Iterable[np.ndarray], n_samples: int, channels: int) -> None:
        self.it = iter(chunks)
        self.n = n_samples
        self.base = 0
        self.buf = np.zeros((channels, 0), np.float32)
        self.read = 0

    def get(self, start: int, stop: int) -> np.ndarray:
        while self.base + self.buf.shape[1] < min(stop, self.n):
            try:
                chunk = next(self.it)
            except StopIteration:
                break
            self.read += chunk.shape[1]
            self.buf = np.concatenate([self.buf, chunk], axis=1)
        out = self.buf[:, start - self.base : stop - self.base]
        if out.shape[1] < stop - start:
            out = np.concatenate([out, np.zeros((out.shape[0], stop - start - out.shape[1]), np.float32)], axis=1)
        return out

    def drop_before(self, start: int) -> None:
        cut = start - self.base
        if cut > 0:
            self.buf = self.buf[:, cut:]
            self.base = start


def _device(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


@torch.no_grad()
def blockwise_posteriors(
    models: list[torch.nn.Module],
    chunks: Iterable[np.ndarray],
    n_samples: int,
    channels: int,
    window_s: float | None = 30.0,
    hop_s: float | None = None,
    precision: str = "fp32",
) -> Iterator[tuple[int, Post]]:
    """``(first_frame, posteriors)`` of consecutive stretches of frames covering the clip, ensembled.

    ``chunks`` yields the clip's audio ``(channels, n)`` at 32 kHz, ``n_samples`` in all.
    """
    fmt = get_format(models[0].output_format)
    n_frames, win, starts = window_plan(n_samples, window_s, hop_s)
    audio = _Audio(chunks, n_samples, channels)
    if win >= n_frames:  # one pass over the whole clip, as infer_clip
        wave = torch.from_numpy(np.ascontiguousarray(audio.get(0, n_frames * SAMPLES_PER_FRAME)))[None]
        outs = [{k: v[0].cpu() for k, v in posteriors(m, wave.to(_device(m)), precision).items()} for m in models]
        yield 0, (outs[0] if len(outs) == 1 else fmt.ensemble(outs))
        return
    accs: list[Post] = [{} for _ in models]
    count = torch.zeros(0)
    base = 0  # first frame held in accs / count
    for i, s in enumerate(starts):
        wave = torch.from_numpy(np.ascontiguousarray(audio.get(s * SAMPLES_PER_FRAME, (s + win) * SAMPLES_PER_FRAME)))
        grow = s + win - base - count.shape[0]
        if grow > 0:
            count = torch.cat([count, torch.zeros(grow)])
        counted = count.clone()
        for m, model in enumerate(models):
            out = {k: v[0].cpu() for k, v in posteriors(model, wave[None].to(_device(model)), precision).items()}
            acc = accs[m]
            if not acc:
                acc.update({k: torch.zeros((0, *v.shape[1:])) for k, v in out.items()})
            for k in acc:
                if acc[k].shape[0] < count.shape[0]:
                    acc[k] = torch.cat([acc[k], torch.zeros((count.shape[0] - acc[k].shape[0], *acc[k].shape[1:]))])
            _align_to_accumulated(fmt, out, acc, counted, s - base, win)
            for k in acc:
                acc[k][s - base : s - base + win] += out[k]
        count[s - base : s - base + win] += 1
        done = starts[i + 1] if i + 1 < len(starts) else n_frames  # frames before it are final
        n_done = done - base
        if n_done > 0:
            finals = []
            for acc in accs:
                finals.append({k: v[:n_done] / count[:n_done].view(-1, *(1,) * (v.dim() - 1)) for k, v in acc.items()})
                for k in list(acc):
                    acc[k] = acc[k][n_done:]
            count = count[n_done:]
            yield base, (finals[0] if len(finals) == 1 else fmt.ensemble(finals))
            base = done
        audio.drop_before(done * SAMPLES_PER_FRAME)
