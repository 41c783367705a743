"""L3DAS22 Task 2 reader: clip discovery, audio, label CSV -> frame targets, prediction CSV I/O.

The label conversion reproduces the official baseline (``csv_to_matrix_task2``) exactly, quirks included,
because the official evaluation builds its ground truth from that matrix:

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

Audio at a sampling rate other than 32 kHz is resampled to 32 kHz with ``librosa.resample``
(``res_type="soxr_hq"``: fast and high quality) and a warning naming the file is emitted, so that data from
other sources can be used but the user is told that it is not the original L3DAS22 format.
"""

from __future__ import annotations

import csv
import math
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from seld.constants import (
    CLASS_INDEX,
    CLASSES,
    CLIP_SECONDS,
    COORD_RANGES,
    COORD_SCALE,
    FOA_CHANNELS,
    LABEL_HOP_S,
    MAX_SLOTS,
    N_TRACKS,
    NUM_CLASSES,
    SAMPLE_RATE,
    SPLIT_DIRS,
    n_label_frames,
)
from seld.data.foa import to_acn_sn3d
from seld.errors import DataError
from seld.io_utils import atomic_open

__all__ = [
    "COORD_TOLERANCE_M",
    "Clip",
    "audio_info",
    "Event",
    "events_to_slots",
    "find_clips",
    "frame_of_time",
    "official_to_rows",
    "quantize_time",
    "read_audio",
    "read_label_csv",
    "read_prediction_csv",
    "read_wav",
    "reference_rows",
    "resolve_split_dir",
    "slots_to_official",
    "slots_to_tracks",
    "write_prediction_csv",
]

COORD_TOLERANCE_M = 0.05
"""Label coordinates may exceed COORD_RANGES by this much (rounding in the generator); more is an error."""
RESAMPLE_TYPE = "soxr_hq"
LABEL_FRAME_SAMPLES = int(round(SAMPLE_RATE * LABEL_HOP_S))
"""Samples in one label frame at 32 kHz (3200): a shorter clip has no complete frame."""
REQUIRED_COLUMNS = ("Start", "End", "Class", "X", "Y", "Z")

_AUDIO_RE = re.compile(r"^split(\d+)_ov(\d+)_(\d+)_([AB])\.wav$")


# --------------------------------------------------------------------------------------------- clips
@dataclass(frozen=True)
class Clip:
    """One L3DAS22 clip: the two microphone recordings and its label file (None when absent)."""

    name: str
    split: int
    ov: int
    number: int
    audio_a: Path
    audio_b: Path | None
    label: Path | None


def resolve_split_dir(root: str | Path, which: str) -> Path:
    """Return the split folder (the one holding ``data/``) for ``which`` in train|dev|test.

    Accepts ``root/L3DAS22_Task2_x/data``, the nested download layout
    ``root/L3DAS22_Task2_x/L3DAS22_Task2_x/data`` and ``root`` being the split folder itself.
    """
    if which not in SPLIT_DIRS:
        raise DataError(f"unknown split {which!r}; expected one of {', '.join(SPLIT_DIRS)}", root)
    root = Path(root)
    name = SPLIT_DIRS[which]
    for cand in (root / name, root / name / name, root):
        if (cand / "data").is_dir():
            if cand == root and root.name in SPLIT_DIRS.values() and root.name != name:
                raise DataError(f"folder is the {root.name} split, not {name}", root)
            return cand
    raise DataError(
        f"no {name}/data folder found (looked for {name}/data, {name}/{name}/data and data/)", root
    )


def _data_dir(split_dir: Path) -> Path:
    for cand in (split_dir / "data", split_dir / split_dir.name / "data"):
        if cand.is_dir():
            return cand
    raise DataError("no data/ folder in the split folder", split_dir)


def find_clips(split_dir: str | Path, mics: int = 1, require_labels: bool = True) -> list[Clip]:
    """List the clips of a split folder, sorted by (split, ov, number).

    Pairs ``*_A.wav`` with ``*_B.wav`` and ``labels/label_*.csv``. ``mics=2`` needs every B file and
    ``require_labels`` every label file; what is missing is reported as a DataError naming the file.
    """
    if mics not in (1, 2):
        raise ValueError(f"mics must be 1 or 2, got {mics}")
    split_dir = Path(split_dir)
    data_dir = _data_dir(split_dir)
    label_dir = data_dir.parent / "labels"
    found: dict[tuple[int, int, int], dict[str, Path]] = {}
    for path in data_dir.iterdir():
        m = _AUDIO_RE.match(path.name)
        if m is None or not path.is_file():
            continue
        key = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
        found.setdefault(key, {})[m.group(4)] = path
    if not found:
        raise DataError("no splitX_ovK_N_A.wav files found", data_dir)
    clips = []
    for key in sorted(found):
        files = found[key]
        split, ov, number = key
        name = f"split{split}_ov{ov}_{number}"
        if "A" not in files:
            raise DataError("mic B file has no matching mic A file", files["B"])
        audio_b = files.get("B")
        if mics == 2 and audio_b is None:
            raise DataError("missing mic B file (needed for mics=2)", data_dir / f"{name}_B.wav")
        label: Path | None = label_dir / f"label_{name}.csv"
        if not label.is_file():
            if require_labels:
                raise DataError("missing label file", label)
            label = None
        clips.append(Clip(name, split, ov, number, files["A"], audio_b, label))
    return clips


# --------------------------------------------------------------------------------------------- audio
def read_wav(path: str | Path, channels: int = FOA_CHANNELS, foa_format: str = "acn_sn3d") -> np.ndarray:
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

        warnings.warn(f"{path}: sampling rate {sr} Hz resampled to {SAMPLE_RATE} Hz", stacklevel=2)
        audio = librosa.resample(audio, orig_sr=sr, target_sr=SAMPLE_RATE, res_type=RESAMPLE_TYPE, axis=-1)
        audio = np.ascontiguousarray(audio, dtype=np.float32)
    if audio.shape[1] < LABEL_FRAME_SAMPLES:
        raise DataError(
            f"audio has {audio.shape[1]} samples, shorter than one label frame ({LABEL_FRAME_SAMPLES})",
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
    if info.frames * SAMPLE_RATE < LABEL_FRAME_SAMPLES * info.samplerate:
        raise DataError(
            f"audio is {info.frames / info.samplerate:.4g} s long, shorter than one label frame ({LABEL_HOP_S} s)",
            path,
        )
    return int(info.frames), int(info.samplerate)


def read_audio(clip: Clip, mics: int = 1, foa_format: str = "acn_sn3d") -> np.ndarray:
    """Read a clip as float32 (4*mics, N) ACN/SN3D: mic A's 4 channels, then mic B's for ``mics=2``."""
    if mics not in (1, 2):
        raise ValueError(f"mics must be 1 or 2, got {mics}")
    a = read_wav(clip.audio_a, foa_format=foa_format)
    if mics == 1:
        return a
    if clip.audio_b is None:
        raise DataError(
            "missing mic B file (needed for mics=2)", clip.audio_a.with_name(f"{clip.name}_B.wav")
        )
    b = read_wav(clip.audio_b, foa_format=foa_format)
    if a.shape[1] != b.shape[1]:
        raise DataError(f"mic B has {b.shape[1]} samples but mic A has {a.shape[1]}", clip.audio_b)
    return np.concatenate([a, b], axis=0)


# -------------------------------------------------------------------------------------------- labels
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
    """Track-wise targets: sed (T,3,14) one-hot, doa (T,3,3) metres; zeros on inactive tracks.

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
    n_frames = active.shape[0]
    sed = np.zeros((n_frames, N_TRACKS, NUM_CLASSES), dtype=np.float32)
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


# ---------------------------------------------------------------------------------- prediction CSV
def write_prediction_csv(path: str | Path, rows: np.ndarray | Sequence[Sequence[float]]) -> None:
    """Write ``frame,class,x,y,z`` rows without header, atomically (no truncated file on a crash)."""
    arr = np.asarray(rows, dtype=np.float64)
    if arr.size == 0:
        arr = arr.reshape(0, 5)
    if arr.ndim != 2 or arr.shape[1] != 5:
        raise ValueError(f"prediction rows must have shape (K, 5), got {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError("prediction rows contain NaN or infinite values")
    frames, classes = arr[:, 0], arr[:, 1]
    if np.any(frames != np.round(frames)) or np.any(frames < 0):
        raise ValueError("prediction frames must be non-negative integers")
    if np.any(classes != np.round(classes)) or np.any((classes < 0) | (classes >= NUM_CLASSES)):
        raise ValueError(f"prediction classes must be integers in 0..{NUM_CLASSES - 1}")
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
