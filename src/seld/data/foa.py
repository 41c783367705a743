"""First-order Ambisonics conventions: every reader converts to ACN/SN3D (W, Y, Z, X) at the edge.

The models, features, labels and the synthetic generator all use ACN channel order with SN3D
normalisation (AmbiX). Recordings in the traditional Furse-Malham (FuMa) B-format store W, X, Y, Z with
W attenuated by 1/sqrt(2) (-3 dB); at first order FuMa's X, Y, Z equal SN3D's. The ``data.foa_format``
setting (``seld predict --foa-format``) names the convention of the files, and :func:`to_acn_sn3d` is
the only place that knows the difference.
"""

from __future__ import annotations

import math

import numpy as np

from ..constants import FOA_FORMATS

_FUMA_TO_ACN = (0, 2, 3, 1)  # ACN channel k is FuMa channel _FUMA_TO_ACN[k]: W, Y, Z, X
_ACN_TO_FUMA = (0, 3, 1, 2)  # FuMa channel k is ACN channel _ACN_TO_FUMA[k]: W, X, Y, Z
_SQRT2 = math.sqrt(2.0)


def _check(audio: np.ndarray, fmt: str) -> None:
    if fmt not in FOA_FORMATS:
        raise ValueError(f"unknown FOA format {fmt!r}; choose one of {', '.join(FOA_FORMATS)}")
    if audio.ndim != 2 or audio.shape[0] % 4:
        raise ValueError(f"expected (4 * mics, N) audio, got shape {audio.shape}")


def to_acn_sn3d(audio: np.ndarray, fmt: str) -> np.ndarray:
    """Audio ``(4 * mics, N)`` in convention ``fmt`` -> ACN/SN3D (a new array; the input is untouched)."""
    _check(audio, fmt)
    if fmt == "acn_sn3d":
        return audio
    out = np.empty_like(audio)
    for m in range(0, audio.shape[0], 4):
        out[m : m + 4] = audio[m + np.asarray(_FUMA_TO_ACN)]
        out[m] *= audio.dtype.type(_SQRT2)
    return out


def from_acn_sn3d(audio: np.ndarray, fmt: str) -> np.ndarray:
    """ACN/SN3D audio ``(4 * mics, N)`` -> convention ``fmt`` (the inverse of :func:`to_acn_sn3d`)."""
    _check(audio, fmt)
    if fmt == "acn_sn3d":
        return audio
    out = np.empty_like(audio)
    for m in range(0, audio.shape[0], 4):
        out[m : m + 4] = audio[m + np.asarray(_ACN_TO_FUMA)]
        out[m] /= audio.dtype.type(_SQRT2)
    return out

