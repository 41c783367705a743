"""L3DAS22 Task 2 submission CSVs: header-less ``frame,class,x,y,z`` rows, written atomically."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ...constants import NUM_CLASSES
from ...errors import DataError
from ...io_utils import atomic_open
from ..rows import check_prediction_rows
from .labels import _parse_float


def write_prediction_csv(path: str | Path, rows: np.ndarray | Sequence[Sequence[float]]) -> None:
    """Write ``frame,class,x,y,z`` rows without header, atomically (no truncated file on a crash)."""
    arr = check_prediction_rows(rows, NUM_CLASSES)
    with atomic_open(path, "w", encoding="utf-8", newline="") as fh:
        for f, c, x, y, z in arr:
            fh.write(f"{int(f)},{int(c)},{x:.6f},{y:.6f},{z:.6f}\n")


def read_prediction_csv(path: str | Path, n_frames: int | None = None) -> np.ndarray:
    """Read a header-less ``frame,class,x,y,z`` CSV as float64 (K,5), validating every line."""
    path = Path(path)
    if not path.is_file():
        raise DataError("prediction file not found", path)
    out: list[list[float]] = []
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for line_no, rec in enumerate(csv.reader(fh), start=1):
                if not rec or all(not v.strip() for v in rec):
                    continue
                out.append(_parse_prediction_line(rec, path, line_no, n_frames))
    except UnicodeDecodeError as exc:
        raise DataError(f"prediction CSV is not UTF-8 text ({exc.reason})", path) from exc
    except csv.Error as exc:
        raise DataError(f"malformed CSV: {exc}", path) from exc
    return np.asarray(out, dtype=np.float64).reshape(-1, 5)


def _parse_prediction_line(rec: list[str], path: Path, line: int, n_frames: int | None) -> list[float]:
    if len(rec) != 5:
        raise DataError(f"line {line}: expected 5 columns (frame,class,x,y,z), got {len(rec)}", path)
    vals = [_parse_float(v, col, path, line) for v, col in zip(rec, ("frame", "class", "x", "y", "z"))]
    frame, cls = vals[0], vals[1]
    if frame != int(frame) or frame < 0:
        raise DataError(f"line {line}: frame {rec[0]!r} is not a non-negative integer", path)
    if n_frames is not None and frame >= n_frames:
        raise DataError(f"line {line}: frame {int(frame)} is beyond the clip ({n_frames} frames)", path)
    if cls != int(cls) or not 0 <= cls < NUM_CLASSES:
        raise DataError(f"line {line}: class {rec[1]!r} is not an integer in 0..{NUM_CLASSES - 1}", path)
    return vals
