"""Audio in blocks, with memory independent of the recording's length: wav files and raw PCM streams.

Both yield float32 ``(channels, n)`` chunks at 32 kHz in ACN/SN3D, with the checks and conversions of
:func:`seld.data.audio.read_wav`. Other sampling rates are resampled with soxr's streaming resampler at the
quality ``read_wav`` uses (``soxr_hq``), so the samples are the same as ``read_wav``'s one-shot
``librosa.resample`` (``tests/test_stream_predict.py`` checks it): the output length is librosa's
``ceil(n * 32000 / rate)``, the tail being flushed (or cut) at the end.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ...constants import SAMPLE_RATE
from ...data.audio import audio_info
from ...data.foa import to_acn_sn3d
from ...errors import DataError

PCM_FORMATS = {"f32": np.dtype("<f4"), "s16": np.dtype("<i2")}


class _Resampler:
    """Streaming soxr resampler to 32 kHz with librosa's output length (``None`` rate = pass-through)."""

    def __init__(self, rate: int, channels: int, total_in: int | None = None) -> None:
        self.rate = int(rate)
        self.channels = channels
        self.total_out = None if total_in is None else int(math.ceil(total_in * SAMPLE_RATE / self.rate))
        self.emitted = 0
        self.stream = None
        if self.rate != SAMPLE_RATE:
            import soxr

            self.stream = soxr.ResampleStream(self.rate, SAMPLE_RATE, channels, dtype="float32", quality="HQ")

    def __call__(self, chunk: np.ndarray, last: bool = False) -> np.ndarray:
        """``chunk`` (n, channels) at the input rate -> (channels, m) at 32 kHz."""
        if self.stream is None:
            out = chunk
        else:
            out = self.stream.resample_chunk(np.ascontiguousarray(chunk, dtype=np.float32), last=last)
        if self.total_out is not None:
            left = self.total_out - self.emitted
            out = out[:left]
            if last and len(out) < left:
                out = np.concatenate([out, np.zeros((left - len(out), self.channels), np.float32)])
        self.emitted += len(out)
        return np.ascontiguousarray(out.T, dtype=np.float32)


def wav_blocks(path: str | Path, channels: int = 4, foa_format: str = "acn_sn3d",
               block: int = 32_000, native_rate: int = SAMPLE_RATE) -> Iterator[np.ndarray]:
    """A wav file in chunks of about ``block`` input frames: checked like ``read_wav`` (header first), resampled
    to 32 kHz with a warning naming the file, converted to ACN/SN3D. Never holds more than one chunk."""
    import soundfile as sf

    path = Path(path)
    frames, rate = audio_info(path, channels=channels)
    if rate not in (SAMPLE_RATE, native_rate):  # the dataset format's own rate is resampled silently
        warnings.warn(f"{path}: sampling rate {rate} Hz resampled to {SAMPLE_RATE} Hz", stacklevel=2)
    resample = _Resampler(rate, channels, frames)
    try:
        fh = sf.SoundFile(str(path))
    except Exception as exc:  # soundfile raises several types for corrupt input
        raise DataError(f"cannot read audio ({type(exc).__name__}: {exc})".replace("\n", " "), path) from exc
    with fh:
        read = 0
        while read < frames:
            data = fh.read(min(block, frames - read), dtype="float32", always_2d=True)
            if not len(data):
                raise DataError(f"audio ended after {read} of {frames} frames", path)
            read += len(data)
            if not np.isfinite(data).all():
                raise DataError("audio contains NaN or infinite samples", path)
            out = resample(data, last=read >= frames)
            if out.shape[1]:
                yield to_acn_sn3d(out, foa_format)


def wav_pair_blocks(path_a: str | Path, path_b: str | Path | None, channels: int = 4, foa_format: str = "acn_sn3d",
                    block: int = 32_000, native_rate: int = SAMPLE_RATE) -> Iterator[np.ndarray]:
    """One microphone's blocks, or both microphones' stacked (8, n) when ``path_b`` is given."""
    if path_b is None:
        yield from wav_blocks(path_a, channels, foa_format, block, native_rate)
        return
    fa, ra = audio_info(path_a, channels=channels)
    fb, rb = audio_info(path_b, channels=channels)
    na, nb = math.ceil(fa * SAMPLE_RATE / ra), math.ceil(fb * SAMPLE_RATE / rb)
    if na != nb:
        raise DataError(f"mic B has {nb} samples but mic A has {na}", path_b)
    pending_a: list[np.ndarray] = []
    pending_b: list[np.ndarray] = []
    it_b = wav_blocks(path_b, channels, foa_format, block)
    for a in wav_blocks(path_a, channels, foa_format, block):
        pending_a.append(a)
        have_a = sum(x.shape[1] for x in pending_a)
        while sum(x.shape[1] for x in pending_b) < have_a:
            pending_b.append(next(it_b))
        a_all, b_all = np.concatenate(pending_a, axis=1), np.concatenate(pending_b, axis=1)
        yield np.concatenate([a_all, b_all[:, :have_a]])
        pending_a, pending_b = [], [b_all[:, have_a:]]
    for _ in it_b:  # exhaust (nothing is left: the lengths are equal)
        pass


def samples_after_resampling(path: str | Path, channels: int = 4) -> int:
    """Samples of a wav at 32 kHz (librosa's resampled length for other rates)."""
    frames, rate = audio_info(path, channels=channels)
    return frames if rate == SAMPLE_RATE else math.ceil(frames * SAMPLE_RATE / rate)


class PcmReader:
    """Raw interleaved PCM (``f32`` little-endian floats or ``s16`` integers) from a binary stream.

    Reads whole 100 ms blocks of the input rate (``read`` blocks until a block is there or the stream
    ends), resamples other rates to 32 kHz (warned once), converts to ACN/SN3D. ``dropped_bytes`` counts
    trailing bytes that do not form a whole sample frame (a truncated stream).
    """

    def __init__(self, stream: BinaryIO, channels: int, fmt: str = "f32", rate: int = SAMPLE_RATE,
                 foa_format: str = "acn_sn3d", name: str = "<stdin>") -> None:
        if fmt not in PCM_FORMATS:
            raise DataError(f"PCM format must be one of {', '.join(PCM_FORMATS)}, got {fmt!r}")
        if rate <= 0:
            raise DataError(f"PCM rate must be positive, got {rate}")
        self.stream = stream
        self.channels = channels
        self.dtype = PCM_FORMATS[fmt]
        self.rate = int(rate)
        self.foa_format = foa_format
        self.name = name
        self.frame_bytes = channels * self.dtype.itemsize
        self.block_frames = max(1, int(round(self.rate * 0.1)))
        self.resample = _Resampler(self.rate, channels)
        self.dropped_bytes = 0
        self.samples_in = 0
        if self.rate != SAMPLE_RATE:
            warnings.warn(f"{name}: sampling rate {self.rate} Hz resampled to {SAMPLE_RATE} Hz", stacklevel=2)

    def __iter__(self) -> Iterator[np.ndarray]:
        want = self.block_frames * self.frame_bytes
        while True:
            data = self.stream.read(want)
            if not data:
                break
            whole = len(data) - len(data) % self.frame_bytes
            self.dropped_bytes += len(data) - whole
            last = len(data) < want
            out = self._convert(data[:whole], last)
            if out.shape[1]:
                yield out
            if last:
                break
        tail = self.resample(np.zeros((0, self.channels), np.float32), last=True) if self.resample.stream else None
        if tail is not None and tail.shape[1]:
            yield to_acn_sn3d(tail, self.foa_format)

    def _convert(self, data: bytes, last: bool) -> np.ndarray:
        x = np.frombuffer(data, dtype=self.dtype).reshape(-1, self.channels)
        self.samples_in += len(x)
        if self.dtype.kind == "i":
            x = x.astype(np.float32) / 32768.0
        else:
            x = x.astype(np.float32)
            if not np.isfinite(x).all():
                raise DataError(f"PCM input contains NaN or infinite samples (after sample {self.samples_in - len(x)})",
                                self.name)
        out = self.resample(x) if self.resample.stream else np.ascontiguousarray(x.T)
        return to_acn_sn3d(out, self.foa_format)
