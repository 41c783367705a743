"""Reading FOA wav files: checked, resampled to 32 kHz, converted to ACN/SN3D; one-line errors naming the file.

Audio at a sampling rate other than 32 kHz is resampled with ``librosa.resample`` (``res_type="soxr_hq"``:
fast and high quality) and a warning naming the file is emitted, so that data from other sources can be
used but the user is told that it is not the original format.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import soundfile as sf

from ..constants import FOA_CHANNELS, LABEL_HOP_S, SAMPLE_RATE, SAMPLES_PER_FRAME
from ..errors import DataError
from .foa import to_acn_sn3d

RESAMPLE_TYPE = "soxr_hq"


def read_wav(
    path: str | Path, channels: int = FOA_CHANNELS, foa_format: str = "acn_sn3d", native_rate: int = SAMPLE_RATE
) -> np.ndarray:
    """Read a wav as float32 (channels, N) at 32 kHz, resampling other rates with a warning, converted from
    the FOA convention ``foa_format`` of the file to ACN/SN3D (:mod:`seld.data.foa`)."""
    path = Path(path)
    if not path.is_file():
        raise DataError("audio file not found", path)
    try:
        data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as exc:  # soundfile raises several types for corrupt input
        raise DataError(f"cannot read audio ({type(exc).__name__}: {exc})".replace("\n", " "), path) from exc
    if data.shape[0] == 0:
        raise DataError("audio file is empty (0 samples)", path)
    _check_complete(path)
    if data.shape[1] != channels:
        raise DataError(f"audio has {data.shape[1]} channels, expected {channels}", path)
    if not np.isfinite(data).all():
        raise DataError("audio contains NaN or infinite samples", path)
    audio = np.ascontiguousarray(data.T)
    if sr != SAMPLE_RATE:
        import librosa

        if sr != native_rate:  # the format's own rate (24 kHz for DCASE) is resampled without a warning
            warnings.warn(f"{path}: sampling rate {sr} Hz resampled to {SAMPLE_RATE} Hz", stacklevel=2)
        audio = librosa.resample(audio, orig_sr=sr, target_sr=SAMPLE_RATE, res_type=RESAMPLE_TYPE, axis=-1)
        audio = np.ascontiguousarray(audio, dtype=np.float32)
    if audio.shape[1] < SAMPLES_PER_FRAME:
        raise DataError(
            f"audio has {audio.shape[1]} samples, shorter than one label frame ({SAMPLES_PER_FRAME})",
            path,
        )
    return to_acn_sn3d(audio, foa_format)


def _check_complete(path: Path) -> None:
    """Raise a DataError when a RIFF/WAVE file is cut short (its data chunk is larger than what is left).

    libsndfile silently reads what is there, so without this a truncated copy would be used as a
    shorter clip. Headers that do not state a size (0 or 0xFFFFFFFF, streaming writers) are accepted.
    """
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(12)
        if len(head) < 12 or head[:4] not in (b"RIFF", b"RIFX") or head[8:12] != b"WAVE":
            return
        order = "little" if head[:4] == b"RIFF" else "big"
        pos = 12
        while pos + 8 <= size:
            fh.seek(pos)
            chunk = fh.read(8)
            n = int.from_bytes(chunk[4:], order)
            if chunk[:4] == b"data":
                left = size - pos - 8
                if 0 < n < 0xFFFFFFFF and n > left:
                    raise DataError(
                        f"audio file is truncated (data chunk declares {n} bytes, {left} present)", path
                    )
                return
            pos += 8 + n + (n & 1)


def audio_info(path: str | Path, channels: int | None = FOA_CHANNELS) -> tuple[int, int]:
    """``(frames, sample_rate)`` of a wav from its header, with the checks of :func:`read_wav` that need
    no samples (readable, complete, channel count, at least one label frame); errors name the file."""
    path = Path(path)
    if not path.is_file():
        raise DataError("audio file not found", path)
    try:
        info = sf.info(str(path))
    except Exception as exc:  # soundfile raises several types for corrupt input
        raise DataError(f"cannot read audio ({type(exc).__name__}: {exc})".replace("\n", " "), path) from exc
    _check_complete(path)
    if info.frames <= 0:
        raise DataError("audio file is empty (0 samples)", path)
    if channels is not None and info.channels != channels:
        raise DataError(f"audio has {info.channels} channels, expected {channels}", path)
    if info.frames * SAMPLE_RATE < SAMPLES_PER_FRAME * info.samplerate:
        raise DataError(
            f"audio is {info.frames / info.samplerate:.4g} s long, shorter than one label frame ({LABEL_HOP_S} s)",
            path,
        )
    return int(info.frames), int(info.samplerate)
