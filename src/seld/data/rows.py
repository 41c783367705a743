"""seld prediction rows: (K, 5) ``frame, class, x, y, z`` (metres), what every submission writer takes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def check_prediction_rows(rows: np.ndarray | Sequence[Sequence[float]], num_classes: int) -> np.ndarray:
    """``rows`` as a float64 (K, 5) array, or ValueError: finite, integer frames >= 0, classes in 0..C-1."""
    arr = np.asarray(rows, dtype=np.float64)
    if arr.size == 0:
        arr = arr.reshape(0, 5)
    if arr.ndim != 2 or arr.shape[1] != 5:
        raise ValueError(f"prediction rows must have shape (K, 5) (frame, class, x, y, z), got {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError("prediction rows contain NaN or infinite values")
    frames, classes = arr[:, 0], arr[:, 1]
    if np.any(frames != np.round(frames)) or np.any(frames < 0):
        raise ValueError("prediction frames must be non-negative integers")
    if np.any(classes != np.round(classes)) or np.any((classes < 0) | (classes >= num_classes)):
        raise ValueError(f"prediction classes must be integers in 0..{num_classes - 1}")
    return arr
