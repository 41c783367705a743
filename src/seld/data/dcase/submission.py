"""DCASE prediction CSVs in the DCASE 2024 baseline's output format: ``frame,class,0,x,y,z,distance``.

seld's prediction rows are ``frame, class, x, y, z`` with the source position in metres; the file holds the
unit direction and the distance in metres (the norm of the position), the track always 0, as the 2024
baseline writes them (the official scorer reads prediction distances as metres).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ...constants import DCASE_CLASSES
from ...errors import DataError
from ..dcase_csv import write_dcase_csv
from ..rows import check_prediction_rows

NUM_CLASSES = len(DCASE_CLASSES)


def prediction_csv_rows(rows: np.ndarray | Sequence[Sequence[float]]) -> list[list[float]]:
    """seld rows (K, 5) -> the 7 values per line of the 2024 baseline format, ordered by frame then class
    (stable, so rows of one frame and class keep their order, as the baseline emits them). A zero position
    has no direction: it is written as the zero vector with distance 0."""
    arr = check_prediction_rows(rows, NUM_CLASSES)
    arr = arr[np.lexsort((arr[:, 1], arr[:, 0]))]
    dist = np.linalg.norm(arr[:, 2:], axis=1)
    unit = np.divide(arr[:, 2:], dist[:, None], out=np.zeros_like(arr[:, 2:]), where=dist[:, None] > 0)
    return [[int(f), int(c), 0, *u.tolist(), float(d)] for (f, c), u, d in zip(arr[:, :2], unit, dist)]


def write_prediction_csv(path: str | Path, rows: np.ndarray | Sequence[Sequence[float]]) -> None:
    """Write seld rows (K, 5) ``frame, class, x, y, z`` (metres) as ``frame,class,0,ux,uy,uz,distance``
    (unit vector, metres), atomically (:func:`seld.data.dcase_csv.write_dcase_csv`)."""
    write_dcase_csv(path, prediction_csv_rows(rows))


def read_prediction_csv(path: str | Path) -> np.ndarray:
    """Read a 7-field prediction CSV (``frame,class,track,x,y,z,distance``, distance in metres) back into seld
    rows (K, 5): the direction of (x, y, z) scaled to the distance. Any other field count, a header, a blank
    line or a non-numeric field is a DataError naming the line."""
    path = Path(path)
    if not path.is_file():
        raise DataError("prediction file not found", path)
    out: list[list[float]] = []
    try:
        with open(path, encoding="utf-8-sig") as fh:
            for line_no, text in enumerate(fh, start=1):
                words = text.strip().split(",")
                if len(words) != 7:
                    what = "blank line" if words == [""] else f"{len(words)} field(s)"
                    raise DataError(f"line {line_no}: {what}; expected frame,class,track,x,y,z,distance", path)
                try:
                    frame, cls = int(words[0]), int(words[1])
                    x, y, z, d = (float(w) for w in words[3:])
                except ValueError:
                    raise DataError(f"line {line_no}: non-numeric field in {text.strip()!r}", path) from None
                if not np.isfinite([x, y, z, d]).all():
                    raise DataError(f"line {line_no}: non-finite value", path)
                if frame < 0 or not 0 <= cls < NUM_CLASSES:
                    raise DataError(f"line {line_no}: frame {frame} or class {cls} out of range", path)
                norm = float(np.sqrt(x * x + y * y + z * z))
                scale = max(d, 0.0) / norm if norm > 0 else 0.0
                out.append([frame, cls, x * scale, y * scale, z * scale])
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text ({exc.reason})", path) from exc
    return np.asarray(out, dtype=np.float64).reshape(-1, 5)
