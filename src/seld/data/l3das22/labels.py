"""L3DAS22 Task 2 label CSVs and the official label conversion, quirks included.

The conversion reproduces the official baseline (``csv_to_matrix_task2``) exactly, because the official
evaluation builds its ground truth from that matrix:

* times are quantised with ``q(t) = round(t / 0.1) * 0.1`` (Python's round, so banker's rounding on ties
  that are exact in binary floating point);
* a quantised time maps to a frame with ``int(np.interp(q, (0, dur), (0, n_frames - 1)))``, which is
  ``floor(q * 299 / 30)`` for a 30 s clip (q = 1.0 s gives frame 9, not 10); an End beyond the clip is
  therefore clamped to the last frame;
* the end frame is inclusive;
* per frame, an event takes the next free slot of its class in CSV row order (so one event can sit in
  different slots in different frames, as in the official code).

Where the official code would crash or silently accept nonsense (a fourth same-class event in one frame,
an unknown class, a Start beyond the clip) a :class:`~seld.errors.DataError` naming the file is raised.
"""

from __future__ import annotations

import csv
import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...constants import (
    CLASS_INDEX,
    CLASSES,
    CLIP_SECONDS,
    COORD_RANGES,
    COORD_SCALE,
    LABEL_HOP_S,
    MAX_SLOTS,
    N_TRACKS,
    NUM_CLASSES,
    n_label_frames,
)
from ...errors import DataError

COORD_TOLERANCE_M = 0.05
"""Label coordinates may exceed COORD_RANGES by this much (rounding in the generator); more is an error."""
REQUIRED_COLUMNS = ("Start", "End", "Class", "X", "Y", "Z")


@dataclass(frozen=True)
class Event:
    """One labelled sound event: times in seconds, class index, static position in metres (mic A)."""

    start: float
    end: float
    cls: int
    x: float
    y: float
    z: float
    row: int | None = field(default=None, compare=False)
    """1-based CSV line number (header = line 1), for error messages."""


def _parse_float(value: str | None, column: str, path: Path, line: int) -> float:
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DataError(f"line {line}: column {column} is not a number: {value!r}", path) from None
    if not math.isfinite(out):
        raise DataError(f"line {line}: column {column} is not finite: {value!r}", path)
    return out


def read_label_csv(path: str | Path) -> list[Event]:
    """Read a label CSV by column name (Start, End, Class, X, Y, Z; File optional), validating each row."""
    path = Path(path)
    if not path.is_file():
        raise DataError("label file not found", path)
    events: list[Event] = []
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing:
                raise DataError(f"label CSV lacks column(s) {', '.join(missing)} (header: {header})", path)
            reader.fieldnames = header
            for rec in reader:
                line = reader.line_num
                if None in rec:
                    raise DataError(f"line {line}: more fields than header columns", path)
                events.append(_parse_event(rec, path, line))
    except UnicodeDecodeError as exc:
        raise DataError(f"label CSV is not UTF-8 text ({exc.reason})", path) from exc
    except csv.Error as exc:
        raise DataError(f"malformed CSV: {exc}", path) from exc
    return events


def _parse_event(rec: dict[str, str | None], path: Path, line: int) -> Event:
    start = _parse_float(rec["Start"], "Start", path, line)
    end = _parse_float(rec["End"], "End", path, line)
    name = (rec["Class"] or "").strip()
    if name not in CLASS_INDEX:
        raise DataError(f"line {line}: unknown class {name!r}", path)
    if start < 0 or end < 0:
        raise DataError(f"line {line}: negative time (Start {start}, End {end})", path)
    if end < start:
        raise DataError(f"line {line}: End {end} is before Start {start}", path)
    xyz = []
    for col, (lo, hi) in zip(("X", "Y", "Z"), COORD_RANGES):
        v = _parse_float(rec[col], col, path, line)
        if not lo - COORD_TOLERANCE_M <= v <= hi + COORD_TOLERANCE_M:
            raise DataError(f"line {line}: {col} = {v} outside [{lo}, {hi}] m", path)
        xyz.append(v)
    return Event(start, end, CLASS_INDEX[name], xyz[0], xyz[1], xyz[2], row=line)


def quantize_time(t: float) -> float:
    """Official quantisation to the 0.1 s grid: ``round(t / 0.1) * 0.1`` with Python's round."""
    return round(float(t) / LABEL_HOP_S) * LABEL_HOP_S


def frame_of_time(q: float, duration: float = CLIP_SECONDS) -> int:
    """Official frame of a quantised time: ``int(np.interp(q, (0, dur), (0, n_frames - 1)))``."""
    n_frames = n_label_frames(duration)
    return int(np.interp(q, (0, duration), (0, n_frames - 1)))


def events_to_slots(
    events: Iterable[Event], duration: float = CLIP_SECONDS, path: str | Path | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Official label conversion: active (T,14,3) bool and xyz (T,14,3,3) float32 metres.

    Events are taken in row order; for each frame from its start to its (inclusive) end frame an event
    takes the lowest free slot of its class in that frame.
    """
    n_frames = n_label_frames(duration)
    if n_frames < 1:
        raise ValueError(f"duration {duration} s has no label frame")
    active = np.zeros((n_frames, NUM_CLASSES, MAX_SLOTS), dtype=bool)
    xyz = np.zeros((n_frames, NUM_CLASSES, MAX_SLOTS, 3), dtype=np.float32)
    for i, ev in enumerate(events):
        where = f"line {ev.row}" if ev.row is not None else f"event {i}"
        if ev.start > duration:
            raise DataError(f"{where}: Start {ev.start} s is beyond the clip duration {duration} s", path)
        f0 = frame_of_time(quantize_time(ev.start), duration)
        f1 = frame_of_time(quantize_time(ev.end), duration)
        for f in range(f0, f1 + 1):
            free = np.flatnonzero(~active[f, ev.cls])
            if free.size == 0:
                raise DataError(
                    f"{where}: more than {MAX_SLOTS} events of class {CLASSES[ev.cls]} active in frame {f}",
                    path,
                )
            slot = int(free[0])
            active[f, ev.cls, slot] = True
            xyz[f, ev.cls, slot] = (ev.x, ev.y, ev.z)
    return active, xyz


def slots_to_tracks(
    active: np.ndarray, xyz: np.ndarray, path: str | Path | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Track-wise targets: sed (T,3,C) one-hot, doa (T,3,3) metres; zeros on inactive tracks (any class count C).

    Per frame the active (class, slot) pairs, in class-then-slot order, fill tracks 0, 1, 2. A frame with
    more than 3 active events keeps the first 3 in that same order and the rest are dropped from the
    targets, with one warning naming the file: the official conversion (inclusive end frame, 0.1 s
    rounding) lets an event that ends at t and one that starts at t share a frame, so an ov3 clip of the
    real data can hold 4 events for one frame. The order is the one every other frame uses, so frames with
    at most 3 events are unchanged and the choice is deterministic; the loss is one frame of one event.
    Reference rows for evaluation are built from the slots (:func:`reference_rows`), not from these
    targets, so the metric still counts every event.
    """
    active = np.asarray(active, dtype=bool)
    xyz = np.asarray(xyz)
    n_frames, n_classes = active.shape[:2]
    sed = np.zeros((n_frames, N_TRACKS, n_classes), dtype=np.float32)
    doa = np.zeros((n_frames, N_TRACKS, 3), dtype=np.float32)
    t, c, s = np.nonzero(active)  # C order: frame, then class, then slot
    if t.size == 0:
        return sed, doa
    track = np.arange(t.size) - np.searchsorted(t, t, side="left")
    keep = track < N_TRACKS
    if not keep.all():
        dropped_frames = np.unique(t[~keep])
        warnings.warn(
            f"{path if path is not None else 'labels'}: {dropped_frames.size} frame(s) hold more than {N_TRACKS} "
            f"active events (first at frame {int(dropped_frames[0])}); kept the first {N_TRACKS} per frame in class "
            f"order and dropped {int((~keep).sum())} event(s) from the training targets (evaluation counts all)",
            stacklevel=2,
        )
        t, c, s, track = t[keep], c[keep], s[keep], track[keep]
    sed[t, track, c] = 1.0
    doa[t, track] = xyz[t, c, s]
    return sed, doa


def slots_to_official(active: np.ndarray, xyz: np.ndarray) -> np.ndarray:
    """The official target matrix (T,168): 42 SED (class*3+slot) then 126 DOA, coordinates / 2."""
    active = np.asarray(active)
    n_frames = active.shape[0]
    sed = active.reshape(n_frames, NUM_CLASSES * MAX_SLOTS).astype(np.float32)
    doa = np.asarray(xyz, dtype=np.float32).reshape(n_frames, NUM_CLASSES * MAX_SLOTS * 3) / COORD_SCALE
    return np.concatenate([sed, doa], axis=1).astype(np.float32)


def official_to_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows (frame, class, x, y, z) of an official (T,168) matrix, coordinates * 2; SED > 0.5 is active.

    Ordered by frame, then class, then slot, as the official ``gen_submission_list_task2``.
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    n_sed = NUM_CLASSES * MAX_SLOTS
    if matrix.ndim != 2 or matrix.shape[1] != n_sed * 4:
        raise ValueError(f"expected a (T, {n_sed * 4}) matrix, got {matrix.shape}")
    sed = matrix[:, :n_sed]
    doa = matrix[:, n_sed:].reshape(-1, n_sed, 3) * COORD_SCALE
    t, j = np.nonzero(sed > 0.5)
    rows = np.empty((t.size, 5), dtype=np.float64)
    rows[:, 0] = t
    rows[:, 1] = j // MAX_SLOTS
    rows[:, 2:] = doa[t, j]
    return rows


def reference_rows(label_csv: str | Path, duration: float = CLIP_SECONDS) -> np.ndarray:
    """Ground-truth rows as the official evaluation builds them (via the /2 target matrix)."""
    active, xyz = events_to_slots(read_label_csv(label_csv), duration, path=label_csv)
    return official_to_rows(slots_to_official(active, xyz))
