"""The streaming engine: audio of any chunk size in, one decoded label frame out per 100 ms block.

:class:`StreamEngine` cuts the incoming audio into blocks of one label frame (3200 samples at 32 kHz),
pushes each block through one streamer per model (:mod:`.streamers`), turns the raw outputs into
posteriors with the output format, keeps track identities from frame to frame (the first model's output
is aligned to the previous emitted frame, the others to the first: the format's ``align``/``ensemble``),
decodes rows ``frame, class, x, y, z`` and records the compute time of every block.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ...constants import LABEL_HOP_S, SAMPLES_PER_FRAME
from ...errors import CheckpointError, SeldError
from ...formats import OutputFormat, get_format
from .stages import check_streamable
from .streamers import BlockStreamer, Emitted, TorchStages, WindowStreamer, check_options

BACKENDS = ("torch", "onnxruntime")


@dataclass(frozen=True)
class StreamOptions:
    """How much a stream sees: ``context`` and ``cnn_window`` in seconds, ``lookahead`` in label frames.

    * ``context``: the frames the temporal attention sees (the newest ``context`` seconds, look-ahead
      included); 2 s by default.
    * ``cnn_window``: the label frames the CNN is recomputed over each block (its receptive field is
      about +-0.95 s; 1.2 s by default).
    * ``lookahead``: label frames of right context before a frame is emitted (4 by default); the
      algorithmic latency is ``(1 + lookahead) * 100 ms`` (the block itself, then the look-ahead).

    The defaults are chosen on the demo dev split (docs/performance.md, "Streaming"): the streamed F-score
    equals the offline one at 500 ms of algorithmic latency.
    """

    context: float = 2.0
    cnn_window: float = 1.2
    lookahead: int = 4

    @property
    def context_frames(self) -> int:
        return max(1, int(round(self.context / LABEL_HOP_S)))

    @property
    def cnn_frames(self) -> int:
        return max(1, int(round(self.cnn_window / LABEL_HOP_S)))

    @property
    def latency_s(self) -> float:
        """Algorithmic latency: from the first sample of a frame to the moment it can be emitted, the frame
        itself (one 100 ms block) and ``lookahead`` more blocks; compute time comes on top."""
        return (1 + self.lookahead) * LABEL_HOP_S

    def check(self) -> None:
        try:
            check_options(self.cnn_frames, self.context_frames, self.lookahead)
        except ValueError as exc:
            raise SeldError(str(exc).replace("frames)", "frames of 100 ms)")) from None


@dataclass
class Frame:
    """One emitted label frame: its index, posteriors (time axis of length 1) and decoded rows."""

    index: int
    posteriors: dict[str, torch.Tensor]
    rows: np.ndarray  # (K, 5) frame, class, x, y, z

    @property
    def time(self) -> float:
        return round(self.index * LABEL_HOP_S, 6)


@dataclass
class StreamStats:
    block_s: list[float] = field(default_factory=list)  # compute seconds per block
    blocks: int = 0
    padded_samples: int = 0

    def summary(self) -> dict[str, Any]:
        t = np.asarray(self.block_s, dtype=np.float64)
        if not len(t):
            return {"blocks": self.blocks}
        return {
            "blocks": self.blocks,
            "median_ms": float(np.median(t) * 1e3),
            "p99_ms": float(np.percentile(t, 99) * 1e3),
            "max_ms": float(t.max() * 1e3),
            "rtf": float(t.mean() / LABEL_HOP_S),
        }


def make_streamer(model: Any, options: StreamOptions, backend: str = "torch", threads: int | None = None) -> Any:
    """The fastest streamer for ``model``: the block-wise stages (torch or ONNX Runtime) when the network
    has their structure, otherwise (torch only) the whole model over the context every block."""
    reason = check_streamable(model)
    if backend == "onnxruntime":
        if reason is not None:
            raise CheckpointError(f"--backend onnxruntime streams CrossStitchSELD networks only ({reason})")
        from .onnx import OrtStages

        stages: Any = OrtStages.from_model(model, options.context_frames, threads)
        return BlockStreamer(stages, options.cnn_frames, options.context_frames, options.lookahead)
    if backend != "torch":
        raise SeldError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if reason is None:
        return BlockStreamer(TorchStages(model), options.cnn_frames, options.context_frames, options.lookahead)
    return WindowStreamer(model.to("cpu").eval(), options.context_frames, options.lookahead, model.in_channels)


class StreamEngine:
    """Blocks of audio in, decoded frames out; several streamers = a posterior ensemble.

    ``push(audio)`` takes float32 audio ``(C, n)`` at 32 kHz in ACN/SN3D, any ``n``; ``finish()`` pads the
    last partial block with zeros (as offline inference pads a clip to whole frames; the padded sample
    count is in ``stats.padded_samples``) and returns the frames still in the look-ahead.
    """

    def __init__(self, streamers: list[Any], output_format: OutputFormat | str, threshold: float | np.ndarray,
                 in_channels: int) -> None:
        if not streamers:
            raise ValueError("a stream needs at least one model")
        self.streamers = streamers
        self.format = get_format(output_format) if isinstance(output_format, str) else output_format
        self.threshold = np.asarray(threshold, np.float64) if np.ndim(threshold) else float(threshold)
        self.in_channels = int(in_channels)
        self.stats = StreamStats()
        self._buffer = np.zeros((self.in_channels, 0), np.float32)
        self._previous: dict[str, torch.Tensor] | None = None
        self.finished = False
        self.options: StreamOptions | None = None
        self.block_wise = all(isinstance(s, BlockStreamer) for s in streamers)

    def push(self, audio: np.ndarray) -> list[Frame]:
        audio = np.asarray(audio, dtype=np.float32)
        if audio.ndim != 2 or audio.shape[0] != self.in_channels:
            raise ValueError(f"expected audio ({self.in_channels}, n), got {audio.shape}")
        if self.finished:
            raise RuntimeError("the stream has finished")
        self._buffer = np.concatenate([self._buffer, audio], axis=1) if self._buffer.shape[1] else audio
        frames: list[Frame] = []
        while self._buffer.shape[1] >= SAMPLES_PER_FRAME:
            block, self._buffer = self._buffer[:, :SAMPLES_PER_FRAME], self._buffer[:, SAMPLES_PER_FRAME:]
            frames += self._block(block)
        return frames

    def _block(self, block: np.ndarray) -> list[Frame]:
        t0 = time.perf_counter()
        emitted = [s.push(block) for s in self.streamers]
        frames = self._combine(emitted)
        self.stats.block_s.append(time.perf_counter() - t0)
        self.stats.blocks += 1
        return frames

    def finish(self) -> list[Frame]:
        """Pad and push the last partial block, then return the frames still in the look-ahead."""
        if self.finished:
            return []
        frames: list[Frame] = []
        n = self._buffer.shape[1]
        if n:
            self.stats.padded_samples = SAMPLES_PER_FRAME - n
            block = np.zeros((self.in_channels, SAMPLES_PER_FRAME), np.float32)
            block[:, :n] = self._buffer
            self._buffer = block[:, :0]
            frames += self._block(block)
        frames += self._combine([s.finish() for s in self.streamers])
        self.finished = True
        return frames

    def _combine(self, emitted: list[Emitted]) -> list[Frame]:
        frames = []
        for i, (index, _) in enumerate(emitted[0]):
            outs = []
            for per_model in emitted:
                f, raw = per_model[i]
                assert f == index, "the models of an ensemble emit the same frames"
                outs.append(self.format.posteriors({k: torch.from_numpy(np.asarray(v))[None] for k, v in raw.items()}))
            if self._previous is not None:  # keep track identities: align to the previous frame
                outs[0] = self.format.align(self._previous, outs[0])
            post = outs[0] if len(outs) == 1 else self.format.ensemble(outs)
            self._previous = post
            rows = self.format.decode(post, self.threshold)
            if not np.isfinite(rows).all():
                raise CheckpointError(f"the model produced NaN or infinite values at frame {index}")
            rows = rows.copy()
            rows[:, 0] = index
            frames.append(Frame(index, post, rows))
        return frames


def row_confidences(fmt: OutputFormat, post: dict[str, torch.Tensor], rows: np.ndarray,
                    threshold: float | np.ndarray, steps: int = 12) -> list[float]:
    """The activity of each decoded row (the SED probability for ``tracks``/``slots``): the highest
    threshold at which the format still decodes it, found by bisection to ``(1 - threshold) / 2**steps``.

    Works for any format whose decoding is monotone in the threshold; a row the format decodes with
    different coordinates at a higher threshold (a format that merges tracks) gets a lower bound.
    """
    out = []
    keys = [tuple(r[1:]) for r in rows]
    cache: dict[float, set[tuple[float, ...]]] = {}

    def present(th: float) -> set[tuple[float, ...]]:
        if th not in cache:
            cache[th] = {tuple(r[1:]) for r in fmt.decode(post, th)}
        return cache[th]

    for key in keys:
        lo = float(threshold[int(key[0])]) if np.ndim(threshold) else float(threshold)  # the row's class's threshold
        hi = 1.0
        while key in present(hi) and hi < 64:
            lo, hi = hi, hi * 2
        for _ in range(steps):
            mid = (lo + hi) / 2
            if key in present(mid):
                lo = mid
            else:
                hi = mid
        out.append((lo + hi) / 2)
    return out


def open_stream(
    checkpoints: list[str | Path],
    options: StreamOptions | None = None,
    backend: str = "torch",
    threshold: str | float | None = None,
    threads: int | None = None,
) -> tuple[StreamEngine, Any]:
    """Load seld checkpoints (several = an ensemble) into a :class:`StreamEngine`; returns it and the first
    model's config (``cfg.data.mics``, ``cfg.data.foa_format``). ``threshold`` as :func:`seld.inference.predict.predict`
    takes it (calibrated per-class values by default when the checkpoints hold them)."""
    from ...checkpoints import load_model

    options = options or StreamOptions()
    options.check()
    if backend not in BACKENDS:
        raise SeldError(f"--backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    for c in checkpoints:
        if Path(c).suffix.lower() == ".onnx":
            raise CheckpointError("an ONNX graph, not a seld checkpoint: give the .ckpt it was exported from "
                                  "(--backend onnxruntime exports it itself; seld export --stream writes graphs "
                                  "for a standalone stream)", c)
    loaded = [load_model(c, "cpu") for c in checkpoints]
    models = [m.eval() for m, _ in loaded]
    cfgs = [c for _, c in loaded]
    if len({m.output_format for m in models}) > 1:
        raise CheckpointError("cannot ensemble models of different output formats", checkpoints[1])
    if len({c.data.mics for c in cfgs}) > 1:
        raise CheckpointError("cannot ensemble models trained on different numbers of microphones", checkpoints[1])
    from ...datasets import get_dataset
    from ..thresholds import resolve_thresholds

    classes = len(get_dataset(cfgs[0].data.format).classes)
    thr = resolve_thresholds(threshold, checkpoints, cfgs[0].train.sed_threshold, classes)
    streamers = [make_streamer(m, options, backend, threads) for m in models]
    engine = StreamEngine(streamers, models[0].output_format, thr, models[0].in_channels)
    engine.options = options
    return engine, cfgs[0]
