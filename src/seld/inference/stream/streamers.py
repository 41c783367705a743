"""One model's stream: 100 ms blocks of audio in, the model's raw outputs of one label frame out.

:class:`BlockStreamer` drives the three stages of :mod:`.stages` with numpy ring buffers; it does not know
whether torch (:class:`TorchStages`) or ONNX Runtime (:class:`seld.inference.stream.onnx.OrtStages`) runs
them. Per block ``k`` (label frames ``0..k`` received):

* the front end computes the 9 STFT frames that changed and the first block's local convolutions for
  the 11 frames whose inputs changed; both are cached (exact: identical to the offline computation on the
  audio received so far);
* the rest of the CNN runs over the last ``cnn_frames`` label frames of cached local outputs; the
  embedding of frame ``t = k - lookahead`` (``lookahead`` frames of right context) is frozen and cached;
* the temporal module runs over the ``context_frames`` frames ``k - context + 1 .. k``: frozen embeddings
  up to ``t``, this block's (provisional) embeddings after it; the output at ``t`` is emitted.

At the end of the input, :meth:`finish` returns the frames ``t + 1 .. k`` from the last block's outputs
(the end of the input is then the true end, as at the end of an offline clip). :class:`WindowStreamer`
is the fallback for other networks: the whole model over the last ``context_frames`` of audio each block.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import torch

from ...constants import SAMPLES_PER_FRAME
from .stages import CnnStage, FrontendStage, Geometry, TemporalStage, geometry

Raw = dict[str, np.ndarray]
Emitted = list[tuple[int, Raw]]


class Stages(Protocol):
    """The three per-block computations (numpy in, numpy out; batch axis 1 on inputs)."""

    geo: Geometry

    def frontend(self, audio: np.ndarray, history: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, ...]: ...

    def cnn(self, local_sed: np.ndarray, local_doa: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...

    def temporal(self, emb_sed: np.ndarray, emb_doa: np.ndarray) -> Raw: ...


def check_options(cnn_frames: int, context_frames: int, lookahead: int) -> None:
    if lookahead < 0:
        raise ValueError(f"the look-ahead must be >= 0 frames, got {lookahead}")
    if cnn_frames < max(2, lookahead + 1):
        raise ValueError(f"the CNN window ({cnn_frames} frames) must be at least 2 frames and longer than the "
                         f"look-ahead ({lookahead} frames)")
    if context_frames < lookahead + 1:
        raise ValueError(f"the context ({context_frames} frames) must be longer than the look-ahead "
                         f"({lookahead} frames)")


class BlockStreamer:
    """Streams one :class:`~seld.models.CrossStitchSELD` through its stages (see the module docstring)."""

    def __init__(self, stages: Stages, cnn_frames: int, context_frames: int, lookahead: int) -> None:
        check_options(cnn_frames, context_frames, lookahead)
        self.stages = stages
        self.geo = stages.geo
        self.cnn_frames = int(cnn_frames)
        self.context_frames = int(context_frames)
        self.lookahead = int(lookahead)
        self.reset()

    def reset(self) -> None:
        geo = self.geo
        n = geo.frames_per_label * self.cnn_frames
        self.k = 0
        self.audio_history = np.zeros((geo.in_channels, geo.history), np.float32)
        self.feature_history = np.zeros((1, geo.feature_channels, geo.feature_history, geo.n_mels), np.float32)
        self.local = [np.zeros((1, c, n, geo.n_mels), np.float32) for c in geo.local_channels]
        keep = self.context_frames - self.lookahead
        self.frozen = [np.zeros((0, geo.embed_dim), np.float32) for _ in range(2)]
        self._keep = keep
        self.pending: Emitted = []

    def push(self, block: np.ndarray) -> Emitted:
        """One label frame of audio ``(C, 3200)`` -> ``[(frame, raw outputs)]`` (empty while filling the look-ahead)."""
        geo, k, spf = self.geo, self.k, self.geo.frames_per_label
        block = np.asarray(block, dtype=np.float32)
        if block.shape != (geo.in_channels, SAMPLES_PER_FRAME):
            raise ValueError(f"expected a block of shape ({geo.in_channels}, {SAMPLES_PER_FRAME}), got {block.shape}")
        # at the start, the history is the reflection of the first block (the offline STFT's reflect padding)
        history = block[:, geo.history : 0 : -1] if k == 0 else self.audio_history
        audio = np.ascontiguousarray(np.concatenate([history, block], axis=1)[None])
        first = spf * k - geo.provisional - geo.feature_history  # STFT frame of the first local input
        valid = (np.arange(first, first + geo.feature_history + geo.updated) >= 0).astype(np.float32)
        feats, local_sed, local_doa = self.stages.frontend(audio, self.feature_history, valid)
        self.audio_history = audio[0, :, -geo.history :]
        self.feature_history = np.ascontiguousarray(feats[:, :, spf - geo.feature_history : spf])
        over = geo.local_out - spf  # cached local frames recomputed this block
        for i, new in enumerate((local_sed, local_doa)):
            ring = self.local[i]
            self.local[i] = np.concatenate([ring[:, :, spf : ring.shape[2] - over], new], axis=2)

        w = min(self.cnn_frames, k + 1)
        emb = self.stages.cnn(*(np.ascontiguousarray(r[:, :, -spf * w :]) for r in self.local))
        t = k - self.lookahead
        if t >= 0:  # freeze the embedding of frame t (lookahead frames of right context)
            for i in range(2):
                newest = emb[i][0, w - 1 - self.lookahead][None]
                self.frozen[i] = np.concatenate([self.frozen[i], newest])[-self._keep :]
        start = max(0, k - self.context_frames + 1)
        n_frozen = t - start + 1 if t >= start else 0
        n_new = k - max(t, start - 1)
        ctx = [
            np.ascontiguousarray(np.concatenate([self.frozen[i][len(self.frozen[i]) - n_frozen :],
                                                 emb[i][0, w - n_new :]])[None])
            for i in range(2)
        ]
        raw = self.stages.temporal(ctx[0], ctx[1])
        out = [(t, {name: v[t - start] for name, v in raw.items()})] if t >= 0 else []
        self.pending = [(f, {name: v[f - start] for name, v in raw.items()}) for f in range(max(t + 1, 0), k + 1)]
        self.k += 1
        return out

    def finish(self) -> Emitted:
        """The frames still in the look-ahead, from the last block's outputs (the input has ended)."""
        out, self.pending = self.pending, []
        return out


class TorchStages:
    """The stages of :mod:`.stages` run by torch (the model's own modules and weights)."""

    def __init__(self, model: torch.nn.Module) -> None:
        self.model = model.to("cpu").eval()
        self.geo = geometry(self.model)
        self.front = FrontendStage(self.model).eval()
        self.cnn_stage = CnnStage(self.model).eval()
        self.temporal_stage = TemporalStage(self.model).eval()

    @torch.inference_mode()
    def frontend(self, audio: np.ndarray, history: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, ...]:
        out = self.front(torch.from_numpy(audio), torch.from_numpy(history), torch.from_numpy(valid))
        return tuple(o.numpy() for o in out)

    @torch.inference_mode()
    def cnn(self, local_sed: np.ndarray, local_doa: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s, d = self.cnn_stage(torch.from_numpy(local_sed), torch.from_numpy(local_doa))
        return s.numpy(), d.numpy()

    @torch.inference_mode()
    def temporal(self, emb_sed: np.ndarray, emb_doa: np.ndarray) -> Raw:
        out = self.temporal_stage(torch.from_numpy(emb_sed), torch.from_numpy(emb_doa))
        return {k: v[0].float().numpy() for k, v in out.items()}


class WindowStreamer:
    """Any network: the whole model over the last ``context_frames`` label frames of audio, every block.

    No work is reused (the cost per block is that of a ``context``-second clip), and the features of the
    window are computed with the front end's padding at the window's start. Emission and :meth:`finish`
    are as :class:`BlockStreamer`'s.
    """

    def __init__(self, model: Any, context_frames: int, lookahead: int, in_channels: int) -> None:
        check_options(max(2, lookahead + 1), context_frames, lookahead)
        self.model = model
        self.context_frames = int(context_frames)
        self.lookahead = int(lookahead)
        self.in_channels = int(in_channels)
        self.reset()

    def reset(self) -> None:
        self.k = 0
        self.audio = np.zeros((self.in_channels, 0), np.float32)
        self.pending: Emitted = []

    @torch.inference_mode()
    def push(self, block: np.ndarray) -> Emitted:
        block = np.asarray(block, dtype=np.float32)
        if block.shape != (self.in_channels, SAMPLES_PER_FRAME):
            raise ValueError(f"expected a block of shape ({self.in_channels}, {SAMPLES_PER_FRAME}), got {block.shape}")
        k = self.k
        self.audio = np.concatenate([self.audio, block], axis=1)[:, -self.context_frames * SAMPLES_PER_FRAME :]
        start = max(0, k - self.context_frames + 1)
        raw = {name: v[0].float().numpy() for name, v in self.model(torch.from_numpy(self.audio)[None]).items()}
        t = k - self.lookahead
        out = [(t, {name: v[t - start] for name, v in raw.items()})] if t >= 0 else []
        self.pending = [(f, {name: v[f - start] for name, v in raw.items()}) for f in range(max(t + 1, 0), k + 1)]
        self.k += 1
        return out

    def finish(self) -> Emitted:
        out, self.pending = self.pending, []
        return out
