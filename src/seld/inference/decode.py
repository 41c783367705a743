"""Turn network posteriors of one clip into prediction rows ``(frame, class, x, y, z)`` (metres).

A (track, class) or slot is active when its probability is strictly above the threshold: with the
default 0.5 this is the official ``np.round(sigmoid)`` rule (numpy rounds 0.5 to 0, so exactly 0.5 is
inactive).
"""

from __future__ import annotations

import numpy as np

from ..constants import COORD_SCALE, MAX_SLOTS, NUM_CLASSES


def _rows(frames: np.ndarray, classes: np.ndarray, xyz: np.ndarray) -> np.ndarray:
    rows = np.empty((len(frames), 5), dtype=np.float64)
    rows[:, 0] = frames
    rows[:, 1] = classes
    rows[:, 2:] = xyz
    return rows


def decode_tracks(sed_prob: np.ndarray, doa: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Track outputs ``sed_prob`` (T, 3, 14) probabilities and ``doa`` (T, 3, 3) metres -> rows (K, 5).

    Each active (track, class) gives a row with its track's coordinates (a track may report several
    classes at once). Rows are ordered by frame, then track, then class.
    """
    sed_prob = np.asarray(sed_prob)
    doa = np.asarray(doa, dtype=np.float64)
    if sed_prob.ndim != 3 or doa.ndim != 3 or sed_prob.shape[:2] != doa.shape[:2] or doa.shape[2] != 3:
        raise ValueError(f"expected sed (T, Q, C) and doa (T, Q, 3), got {sed_prob.shape} and {doa.shape}")
    frames, tracks, classes = np.nonzero(sed_prob > threshold)  # C order: frame, track, class
    return _rows(frames, classes, doa[frames, tracks])


def decode_slots(sed_prob: np.ndarray, doa: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Official slot outputs ``sed_prob`` (T, 42) and ``doa`` (T, 126) in /2 units -> rows (K, 5).

    Slot ``class * 3 + s`` is active when its probability exceeds the threshold; its coordinates are
    ``doa[(class * 3 + s) * 3 : +3] * 2`` (metres). Rows are ordered by frame, then class, then slot,
    as the official decoder writes them.
    """
    sed_prob = np.asarray(sed_prob)
    doa = np.asarray(doa, dtype=np.float64)
    n_slots = NUM_CLASSES * MAX_SLOTS
    if sed_prob.ndim != 2 or sed_prob.shape[1] != n_slots or doa.shape != (sed_prob.shape[0], 3 * n_slots):
        raise ValueError(f"expected sed (T, {n_slots}) and doa (T, {3 * n_slots}), got {sed_prob.shape}, {doa.shape}")
    frames, slots = np.nonzero(sed_prob > threshold)
    xyz = doa.reshape(doa.shape[0], n_slots, 3)[frames, slots] * COORD_SCALE
    return _rows(frames, slots // MAX_SLOTS, xyz)


__all__ = ["decode_slots", "decode_tracks"]
