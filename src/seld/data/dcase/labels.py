"""DCASE SELD label CSVs (``metadata_dev/<split>/<clip>.csv``) and their slot labels.

A label file has no header and one line per active source and 100 ms frame (frames 0-based)::

    frame,class,source,azimuth,elevation            STARSS22/23 (integer degrees)
    frame,class,source,azimuth,elevation,distance   DCASE2024 (distance in centimetres)

Azimuth is counter-clockwise from the front (+90 = left), elevation positive upwards.

What :func:`read_label_csv` accepts, against the official DCASE 2024 baseline loader (which keys rows on
their field count: 4 -> ``class, azimuth, elevation`` with source 0, 5 -> without distance, 6 -> with
distance, 7 -> cartesian ``x, y, z, distance``, any other count -> the row is dropped):

* 5 and 6 fields as the official loader; 4 fields too (``frame, class, azimuth, elevation``, source 0);
* 8 or more fields: the row is dropped, as the official loader drops it, with one warning per file naming
  the first such line and the number dropped (a frame index that only they mention does not make a label);
* errors (:class:`~seld.errors.DataError` naming the file and the 1-based line), where the official loader
  raises a traceback or silently reads nonsense: a header row, a blank line, a non-numeric field (frame,
  class and source must be integers, as ``int()`` reads them), 1 to 3 fields (too few columns; the official
  loader silently drops them), 7 fields (the cartesian *prediction* format, whose distance unit differs
  from the labels'), a class outside 0..12, a negative frame, a non-finite angle, an elevation outside
  [-90, 90], a negative or non-finite distance, and rows with and without distance in one file.

:func:`labels_to_slots` turns the rows into the shared slot labels (``active`` (T, 13, 3), ``xyz``
(T, 13, 3, 3) positions in metres).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ...constants import DCASE_CLASSES, MAX_SLOTS
from ...errors import DataError
from ..dcase_csv import polar_to_cartesian

NUM_CLASSES = len(DCASE_CLASSES)
UNIT_DISTANCE_M = 1.0
"""Distance given to labels without one (STARSS22/23): ``xyz`` is then the unit direction."""


class LabelRow(NamedTuple):
    """One label line: frame (0-based), class, source id, angles in degrees, distance in cm (None if absent)."""

    frame: int
    cls: int
    source: int
    azimuth: float
    elevation: float
    distance: float | None
    line: int
    """1-based line number in the file, for error messages."""


def _int(text: str, name: str, path: Path, line: int) -> int:
    try:
        return int(text)
    except ValueError:
        header = line == 1 and any(ch.isalpha() for ch in text)
        hint = " (a header row? DCASE label files have none)" if header else ""
        raise DataError(f"line {line}: {name} field {text.strip()!r} is not an integer{hint}", path) from None


def _float(text: str, name: str, path: Path, line: int) -> float:
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"line {line}: {name} field {text.strip()!r} is not a number", path) from None
    if not math.isfinite(value):
        raise DataError(f"line {line}: {name} field {text.strip()!r} is not finite", path)
    return value


def _parse_line(words: list[str], path: Path, line: int) -> LabelRow | None:
    n = len(words)
    if n == 1 and not words[0].strip():
        raise DataError(f"line {line}: blank line (DCASE label files have none)", path)
    frame = _int(words[0], "frame", path, line)
    if n > 7:
        return None
    if n < 4:
        raise DataError(f"line {line}: {n} field(s); a label row is frame,class,source,azimuth,elevation"
                        "[,distance]", path)
    if n == 7:
        raise DataError(f"line {line}: 7 fields, the cartesian prediction format (frame,class,track,x,y,z,"
                        "distance in metres); label files have 5 or 6 fields (azimuth, elevation, distance in cm)",
                        path)
    if frame < 0:
        raise DataError(f"line {line}: negative frame {frame}", path)
    cls = _int(words[1], "class", path, line)
    if not 0 <= cls < NUM_CLASSES:
        raise DataError(f"line {line}: class {cls} is outside 0..{NUM_CLASSES - 1}", path)
    if n == 4:
        source, angles, rest = 0, words[2:4], []
    else:
        source, angles, rest = _int(words[2], "source", path, line), words[3:5], words[5:]
    azimuth = _float(angles[0], "azimuth", path, line)
    elevation = _float(angles[1], "elevation", path, line)
    if not -90.0 <= elevation <= 90.0:
        raise DataError(f"line {line}: elevation {elevation} is outside [-90, 90] degrees", path)
    distance = None
    if rest:
        distance = _float(rest[0], "distance", path, line)
        if distance < 0:
            raise DataError(f"line {line}: negative distance {distance} cm", path)
    return LabelRow(frame, cls, source, azimuth, elevation, distance, line)


def read_label_csv(path: str | Path) -> list[LabelRow]:
    """Read a label CSV into rows in file order, with the rules of the module docstring."""
    path = Path(path)
    if not path.is_file():
        raise DataError("label file not found", path)
    rows: list[LabelRow] = []
    dropped: list[int] = []
    try:
        with open(path, encoding="utf-8-sig") as fh:
            for line_no, text in enumerate(fh, start=1):
                row = _parse_line(text.strip().split(","), path, line_no)
                if row is None:
                    dropped.append(line_no)
                    continue
                if rows and (row.distance is None) != (rows[0].distance is None):
                    with_d, without = (rows[0].line, line_no) if row.distance is None else (line_no, rows[0].line)
                    raise DataError(f"line {line_no}: rows with (line {with_d}) and without (line {without}) a "
                                    "distance in one file", path)
                rows.append(row)
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text ({exc.reason})", path) from exc
    if dropped:
        warnings.warn(f"{path}: {len(dropped)} row(s) with more than 7 fields dropped, as the official DCASE "
                      f"loader drops them (first at line {dropped[0]})", stacklevel=2)
    return rows


def labels_to_slots(
    rows: Sequence[LabelRow], n_frames: int, path: str | Path | None = None
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Slot labels of a clip of ``n_frames`` label frames: ``(active, xyz, has_distance)``.

    ``active`` (T, 13, 3) bool; ``xyz`` (T, 13, 3, 3) float32 is the source position in metres relative to the
    microphone: the unit direction of (azimuth, elevation) times the distance (cm / 100), or times 1.0 when
    the file has no distance column (``has_distance`` is then False; True when every row has a distance, so
    also for a file without rows). Within a frame a class's instances fill slots 0, 1, 2 in file order (the
    official ADPIT label builder's stable sort by class); a 4th or later simultaneous instance of a class is
    dropped, with one warning per file. A row whose frame is ``>= n_frames`` is a DataError naming its line.
    """
    if n_frames < 0:
        raise ValueError(f"n_frames must be >= 0, got {n_frames}")
    where = path if path is not None else "labels"
    active = np.zeros((n_frames, NUM_CLASSES, MAX_SLOTS), dtype=bool)
    xyz = np.zeros((n_frames, NUM_CLASSES, MAX_SLOTS, 3), dtype=np.float32)
    has_distance = all(r.distance is not None for r in rows)
    if not rows:
        return active, xyz, has_distance
    for r in rows:
        if r.frame >= n_frames:
            raise DataError(f"line {r.line}: frame {r.frame} is beyond the clip ({n_frames} label frames, "
                            f"0..{n_frames - 1})", path)
    ux, uy, uz = polar_to_cartesian([r.azimuth for r in rows], [r.elevation for r in rows])
    dist = np.array([r.distance / 100.0 if r.distance is not None else UNIT_DISTANCE_M for r in rows])
    pos = np.stack([ux, uy, uz], axis=1) * dist[:, None]
    dropped_rows: list[LabelRow] = []
    for r, p in zip(rows, pos):
        free = np.flatnonzero(~active[r.frame, r.cls])
        if free.size == 0:
            dropped_rows.append(r)
            continue
        active[r.frame, r.cls, free[0]] = True
        xyz[r.frame, r.cls, free[0]] = p
    if dropped_rows:
        first = dropped_rows[0]
        frames = len({r.frame for r in dropped_rows})
        warnings.warn(
            f"{where}: {len(dropped_rows)} event row(s) in {frames} frame(s) are a 4th or later simultaneous "
            f"instance of their class (first at line {first.line}, frame {first.frame}, class "
            f"{DCASE_CLASSES[first.cls]}); dropped from the slot labels ({MAX_SLOTS} slots per class)",
            stacklevel=2,
        )
    return active, xyz, has_distance


def slots_to_rows(active: np.ndarray, xyz: np.ndarray) -> np.ndarray:
    """seld rows (K, 5) ``frame, class, x, y, z`` (metres) of slot labels, by frame, class and slot."""
    t, c, s = np.nonzero(np.asarray(active, dtype=bool))
    rows = np.empty((t.size, 5), dtype=np.float64)
    rows[:, 0], rows[:, 1] = t, c
    rows[:, 2:] = np.asarray(xyz, dtype=np.float64)[t, c, s]
    return rows


def reference_rows(label_csv: str | Path, n_frames: int) -> np.ndarray:
    """The labels of a file as seld rows (K, 5) ``frame, class, x, y, z`` (positions in metres)."""
    active, xyz, _ = labels_to_slots(read_label_csv(label_csv), n_frames, path=label_csv)
    return slots_to_rows(active, xyz)
