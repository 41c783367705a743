"""DCASE 2023/2024 SELD CSV files (STARSS23 labels, baseline outputs, submissions), read as the official code does.

A file has no header and one line per active source and 100 ms label frame (frames are 0-based)::

    frame,class,track,azimuth,elevation            STARSS22/23 labels (integer degrees)
    frame,class,track,azimuth,elevation,distance   DCASE2024 labels (distance in centimetres)
    frame,class,track,x,y,z,distance               baseline outputs and submissions (distance in metres)

Azimuth is counter-clockwise from the front (+90 = left), elevation positive upwards, both in degrees.

:func:`read_dcase_csv` returns ``{frame: [row, ...]}`` in the layout of the official DCASE 2023/2024 baseline
scoring code, because the official metrics are defined on that layout and inherit its quirks:

* DCASE2024 (``edition="dcase2024"``), by field count: 4 -> ``[class, 0, azi, ele]``, 5 -> ``[class, track,
  azi, ele]``, 6 -> ``[class, track, azi, ele, dist]``, 7 -> ``[class, track, x, y, z, dist]``; any other count
  adds nothing but the frame key (so it still counts for "last annotated frame"). If the *last* line has
  7 fields, every row is then converted to ``[class, track, azi, ele, dist]``.
* DCASE2023 (``edition="dcase2023"``): 5 and 6 fields -> ``[class, track, azi, ele]`` (a distance is not even
  parsed), 7 -> ``[class, track, x, y, z]``, other counts add only the frame key; nothing is converted.

Where the official reader raises (a header row, a blank line, a non-numeric field, a 4- or 5-field row in a
file converted to polar) a :class:`~seld.errors.DataError` naming the file and the 1-based line is raised
instead of a traceback. Two deliberate differences: a 6-field (polar) row in a file whose last line has
7 fields is also an error, where the official reader silently converts it as if it were cartesian; and a
UTF-8 byte order mark is skipped, where the official reader fails on the first frame index.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from seld.errors import DataError
from seld.io_utils import atomic_open

__all__ = [
    "EDITIONS",
    "Labels",
    "cartesian_to_polar",
    "labels_to_cartesian",
    "labels_to_polar",
    "polar_to_cartesian",
    "read_dcase_csv",
    "write_dcase_csv",
]

Edition = Literal["dcase2024", "dcase2023"]
EDITIONS: tuple[str, ...] = ("dcase2024", "dcase2023")
Labels = dict[int, list[list[float]]]
"""``{frame: [[class, track, *location], ...]}``, rows in file order (class and track are ints)."""


# ------------------------------------------------------------------------------------------ coordinates
def polar_to_cartesian(azimuth: np.ndarray | float, elevation: np.ndarray | float) -> tuple[np.ndarray, ...]:
    """Unit vector ``(x, y, z)`` of a direction in degrees, computed in the official operation order."""
    azi_rad = np.asarray(azimuth, dtype=np.float64) * np.pi / 180.0
    ele_rad = np.asarray(elevation, dtype=np.float64) * np.pi / 180.0
    cos_ele = np.cos(ele_rad)
    return np.cos(azi_rad) * cos_ele, np.sin(azi_rad) * cos_ele, np.sin(ele_rad)


def cartesian_to_polar(x: np.ndarray | float, y: np.ndarray | float, z: np.ndarray | float) -> tuple[np.ndarray, ...]:
    """``(azimuth, elevation)`` in degrees of a vector of any length; the zero vector gives ``(0, 0)``."""
    x, y, z = (np.asarray(v, dtype=np.float64) for v in (x, y, z))
    azimuth = np.arctan2(y, x) * 180 / np.pi
    elevation = np.arctan2(z, np.sqrt(x**2 + y**2)) * 180 / np.pi
    return azimuth, elevation


def labels_to_cartesian(labels: Labels) -> Labels:
    """Rows ``[c, s, azi, ele, *rest]`` -> ``[c, s, x, y, z, *rest]`` (the rest, e.g. a distance, is kept)."""
    rows = [row for frame_rows in labels.values() for row in frame_rows]
    x, y, z = polar_to_cartesian([row[2] for row in rows], [row[3] for row in rows])
    converted = iter([[row[0], row[1], xi, yi, zi, *row[4:]] for row, xi, yi, zi in
                      zip(rows, x.tolist(), y.tolist(), z.tolist())])
    return {frame: [next(converted) for _ in frame_rows] for frame, frame_rows in labels.items()}


def labels_to_polar(labels: Labels) -> Labels:
    """Rows ``[c, s, x, y, z, *rest]`` -> ``[c, s, azi, ele, *rest]``: the vector length is dropped."""
    for frame, frame_rows in labels.items():
        for row in frame_rows:
            if len(row) < 5:
                raise ValueError(f"frame {frame}: row {row} has no x, y, z to convert")
    rows = [row for frame_rows in labels.values() for row in frame_rows]
    azimuth, elevation = cartesian_to_polar(*([row[i] for row in rows] for i in (2, 3, 4)))
    converted = iter([[row[0], row[1], az, el, *row[5:]] for row, az, el in
                      zip(rows, azimuth.tolist(), elevation.tolist())])
    return {frame: [next(converted) for _ in frame_rows] for frame, frame_rows in labels.items()}


# ----------------------------------------------------------------------------------------------- reading
_FIELD_NAMES = {
    4: ("class", "azimuth", "elevation"),
    5: ("class", "track", "azimuth", "elevation"),
    6: ("class", "track", "azimuth", "elevation", "distance"),
    7: ("class", "track", "x", "y", "z", "distance"),
}


def read_dcase_csv(path: str | Path, cm_to_m: bool, edition: Edition = "dcase2024") -> Labels:
    """Read a DCASE SELD CSV into ``{frame: [row, ...]}`` with the official reader's rules (see the module doc).

    ``cm_to_m`` divides distances by 100: the official 2024 scoring does it for references only, so predicted
    distances must be in metres. It has no effect for ``edition="dcase2023"``, which drops distances.
    """
    if edition not in EDITIONS:
        raise ValueError(f"edition must be one of {EDITIONS}, got {edition!r}")
    path = Path(path)
    if not path.is_file():
        raise DataError("CSV file not found", path)
    labels: Labels = {}
    last_field_count = 0
    rows_by_count: dict[int, int] = {}  # field count -> first line with it (for the conversion check)
    try:
        with open(path, encoding="utf-8-sig") as fh:
            for line_no, line in enumerate(fh, start=1):
                words = line.strip().split(",")
                if words == [""]:
                    raise DataError(f"line {line_no}: blank line (DCASE CSVs have none)", path)
                frame = _parse(int, words[0], "frame", path, line_no)
                rows = labels.setdefault(frame, [])
                last_field_count = len(words)
                row = _parse_row(words, edition, cm_to_m, path, line_no)
                if row is not None:
                    rows.append(row)
                    rows_by_count.setdefault(len(words), line_no)
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text ({exc.reason})", path) from exc
    if edition == "dcase2024" and last_field_count == 7:
        others = [(line, n) for n, line in rows_by_count.items() if n != 7]
        if others:
            line, n = min(others)
            raise DataError(
                f"line {line}: {n}-field row in a file whose last line has 7 fields (cartesian); "
                "the official reader converts every row from cartesian and cannot read it",
                path,
            )
        labels = labels_to_polar(labels)
    return labels


def _parse_row(words: list[str], edition: str, cm_to_m: bool, path: Path, line: int) -> list[float] | None:
    n = len(words)
    if edition == "dcase2023":
        if n not in (5, 6, 7):
            return None
        # The 2023 reader parses no distance: 6 fields read as 5, 7 fields as x, y, z without the distance.
        names = _FIELD_NAMES[5] if n in (5, 6) else _FIELD_NAMES[7][:-1]
        values = [_parse(int if i < 2 else float, words[1 + i], name, path, line) for i, name in enumerate(names)]
        return values
    if n not in _FIELD_NAMES:
        return None
    names = _FIELD_NAMES[n]
    n_ints = 1 if n == 4 else 2
    values = [_parse(int if i < n_ints else float, words[1 + i], name, path, line) for i, name in enumerate(names)]
    if n == 4:
        values.insert(1, 0)  # no track column: track 0
    if n >= 6 and cm_to_m:
        values[-1] = values[-1] / 100
    return values


def _parse(kind: type, text: str, name: str, path: Path, line: int) -> int | float:
    """``int(text)`` or ``float(text)`` as the official reader (so ``" 3"`` is fine, ``"3.0"`` is no int)."""
    try:
        return kind(text)
    except ValueError:
        what = "an integer" if kind is int else "a number"
        header = line == 1 and name == "frame" and any(ch.isalpha() for ch in text)
        hint = " (a header row? DCASE CSVs have none)" if header else ""
        raise DataError(f"line {line}: {name} field {text.strip()!r} is not {what}{hint}", path) from None


# ----------------------------------------------------------------------------------------------- writing
def write_dcase_csv(path: str | Path, rows: Iterable[Sequence[float]]) -> None:
    """Write ``frame, class, track, x, y, z, distance`` rows (distance in metres) in the given order, atomically.

    This is the DCASE2024 baseline output format, with full float precision; a negative distance is written
    as 0, as the baseline does. A bad row (wrong length, non-integer frame/class/track, non-finite value)
    raises ValueError and leaves any existing file at ``path`` untouched.
    """
    with atomic_open(path, "w", encoding="utf-8", newline="") as fh:
        for i, row in enumerate(rows):
            fh.write(_format_row(row, i))


def _format_row(row: Sequence[float], index: int) -> str:
    values = [float(v) for v in row]
    if len(values) != 7:
        raise ValueError(f"row {index}: expected 7 values (frame, class, track, x, y, z, distance), got {len(values)}")
    if not all(np.isfinite(values)):
        raise ValueError(f"row {index}: non-finite value in {values}")
    frame, cls, track = values[:3]
    if any(v != int(v) for v in (frame, cls, track)) or frame < 0:
        raise ValueError(f"row {index}: frame, class and track must be integers (frame >= 0), got {values[:3]}")
    x, y, z, dist = values[3:]
    dist = dist if dist >= 0 else 0.0
    return f"{int(frame)},{int(cls)},{int(track)},{x!r},{y!r},{z!r},{dist!r}\n"
