"""Label-consistent spatial augmentation of first-order Ambisonics: rotations and reflections of the sound field.

Turning (or mirroring) the whole sound field about the microphone is the same as recording a turned (or
mirrored) room: direct sound and reflections move together. At first order the three dipole channels
(X, Y, Z) transform as a vector, so any orthogonal 3x3 matrix ``M`` maps a recording and its labels
consistently: ``[X', Y', Z'] = M [X, Y, Z]``, ``W' = W``, and every source position ``p' = M p`` (the
microphone is the origin of the labels, so distances are unchanged).

Two families are offered:

* ``acs``: the 16 "audio channel swapping" patterns of first-order Ambisonics (channel swaps and sign
  flips only, so exact on any recording): azimuth ``phi -> +-phi + k * 90 deg`` (k = 0..3) times elevation
  ``theta -> +-theta``. They form a group (the symmetries of a square prism).
* ``rotate``: a rotation about the vertical axis by a uniform random angle, composed with a random one of
  the 16 patterns (``acs_rotate``) or alone (``rotate``).

Channels are ACN (W, Y, Z, X), as every reader delivers them. Only one microphone (4 channels) can be
turned: a second microphone 20 cm away would not follow the rotation.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..constants import FOA_AUGMENTATIONS as AUGMENTATIONS

_XYZ_CHANNELS = (3, 1, 2)  # ACN: X is channel 3, Y channel 1, Z channel 2


def rotation_z(angle: float) -> np.ndarray:
    """Rotation about the vertical (z) axis by ``angle`` radians, counter-clockwise seen from above."""
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def acs_matrices() -> np.ndarray:
    """The 16 channel-swapping patterns as (16, 3, 3) matrices; index 0 is the identity.

    Pattern ``8 * e + 2 * k + r``: reflect azimuth (``y -> -y``) when r = 1, then turn by ``k * 90`` degrees,
    then reflect elevation (``z -> -z``) when e = 1. Entries are exactly 0 and +-1.
    """
    out = np.empty((16, 3, 3))
    for e in range(2):
        for k in range(4):
            for r in range(2):
                turn = np.rint(rotation_z(k * math.pi / 2))
                out[8 * e + 2 * k + r] = np.diag([1.0, 1.0, -1.0 if e else 1.0]) @ turn @ np.diag(
                    [1.0, -1.0 if r else 1.0, 1.0])
    return out


def random_matrices(kind: str, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` random transforms (n, 3, 3) float32 of family ``kind`` (see :data:`AUGMENTATIONS`)."""
    if kind not in AUGMENTATIONS:
        raise ValueError(f"unknown FOA augmentation {kind!r}; choose one of {', '.join(AUGMENTATIONS)}")
    eye = torch.eye(3).expand(n, 3, 3)
    if kind == "none":
        return eye.clone()
    mats = eye.clone()
    if kind in ("acs", "acs_rotate"):
        table = torch.from_numpy(acs_matrices()).float()
        mats = table[torch.randint(0, 16, (n,), generator=generator)]
    if kind in ("rotate", "acs_rotate"):
        angle = torch.rand(n, generator=generator, dtype=torch.float64) * (2 * math.pi)
        c, s = torch.cos(angle).float(), torch.sin(angle).float()
        rot = torch.zeros(n, 3, 3)
        rot[:, 0, 0], rot[:, 0, 1], rot[:, 1, 0], rot[:, 1, 1], rot[:, 2, 2] = c, -s, s, c, 1.0
        mats = rot @ mats
    return mats


def transform_foa(wave: torch.Tensor, matrices: torch.Tensor) -> torch.Tensor:
    """Apply one transform per item: ``wave`` (B, 4, N) ACN, ``matrices`` (B, 3, 3) -> a new (B, 4, N)."""
    if wave.ndim != 3 or wave.shape[1] != 4:
        raise ValueError(
            f"FOA augmentation needs one microphone, (batch, 4, samples) in ACN order; got shape {tuple(wave.shape)}"
        )
    idx = torch.tensor(_XYZ_CHANNELS, device=wave.device)
    xyz = wave.index_select(1, idx)  # (B, 3, N) as x, y, z
    with torch.autocast(wave.device.type, enabled=False):  # exact in the audio's precision, also under AMP
        turned = torch.einsum("bij,bjn->bin", matrices.to(device=wave.device, dtype=wave.dtype), xyz)
    out = wave.clone()
    out[:, idx] = turned
    return out


def transform_points(points: torch.Tensor, matrices: torch.Tensor) -> torch.Tensor:
    """Positions or directions ``points`` (B, ..., 3) mapped by one matrix per item (B, 3, 3)."""
    m = matrices.to(device=points.device, dtype=points.dtype)
    flat = points.reshape(points.shape[0], -1, 3)
    with torch.autocast(points.device.type, enabled=False):
        return torch.einsum("bij,bkj->bki", m, flat).reshape(points.shape)
