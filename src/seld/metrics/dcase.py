"""The DCASE 2023 and 2024 SELD metrics, exactly as the official DCASE 2023/2024 baseline scoring code computes them.

* ``dcase2024``: frame-level location-sensitive detection with distance. Per 100 ms frame and class, references
  and predictions are paired by the Hungarian algorithm on the angle between their cartesian vectors (each
  normalised with a ``1e-10`` term under the square root, so identical directions give 8.1e-4 degrees); a pair is
  a true positive when its angle is at most 20 degrees and its relative distance error at most 1, otherwise a
  spatial false positive. Reported: F-score, DOA error, distance error, relative distance error (RDE), error
  rate, localization recall and SELD = mean(1 - F, DOA / 180, RDE).
* ``dcase2023``: 1 s segment-level metric in polar coordinates, distances ignored. Per 10-frame block and
  class, the matched angles of each reference row position are averaged over the block's common frames.
  SELD = mean(ER, 1 - F, LE / 180, 1 - LR).

Quirks kept on purpose, because the official ranking depends on them:

* the scored length of a file is its last annotated frame index N, not N + 1: frame N is never scored at frame
  level, and ``ceil(N / 10)`` blocks (covering frames up to ``10 * ceil(N / 10) - 1``) are scored at segment level;
* predictions are scored with the reference's N; frames beyond it and classes outside ``0..num_classes-1`` count
  for nothing;
* macro averages are plain means over all classes, except the 2024 angle and distance errors (``nanmean``;
  a class without a matched pair is NaN, where 2023 uses 180 degrees); SELD is the mean of per-class SELD;
* at segment level, a class present in both reference and prediction of a block without a common frame adds
  the number of *predicted* tracks to the false negatives (and no false positive);
* references are read with distances converted from centimetres to metres, predictions are not;
* a reference without a prediction file is skipped (no false negatives); an empty prediction file counts all
  its references as false negatives.

Where the official code fails with a traceback (a prediction without a reference, an empty reference, a row
the metric cannot use) a :class:`~seld.errors.DataError` naming the file is raised instead.
"""

from __future__ import annotations

import functools
import math
import operator
import warnings
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

import numpy as np
from scipy import stats
from scipy.optimize import linear_sum_assignment

from seld.data.dcase_csv import Labels, labels_to_cartesian, labels_to_polar, read_dcase_csv
from seld.errors import DataError

__all__ = [
    "AVERAGES",
    "EDITIONS",
    "NUM_CLASSES",
    "BlockLabels",
    "DcaseResult",
    "FrameLabels",
    "SeldCounts",
    "angle_between_cartesian",
    "angle_between_polar",
    "compute_scores",
    "evaluate_dcase",
    "frame_counts",
    "jackknife_intervals",
    "organize_labels",
    "segment_counts",
    "segment_labels",
]

Edition = Literal["dcase2024", "dcase2023"]
Average = Literal["macro", "micro"]
EDITIONS: tuple[str, ...] = ("dcase2024", "dcase2023")
AVERAGES: tuple[str, ...] = ("macro", "micro")

NUM_CLASSES = 13
"""STARSS23 classes; the official code takes the count from the dataset year."""
DOA_THRESHOLD = 20.0
"""Degrees; a larger angle makes a matched pair a spatial false positive (``lad_doa_thresh``)."""
DIST_THRESHOLD = math.inf
"""Absolute distance threshold of the 2024 metric (metres): disabled in the official parameters."""
REL_DIST_THRESHOLD = 1.0
"""Relative distance error above which a matched 2024 pair is a spatial false positive."""
BLOCK_FRAMES = 10
"""Frames (100 ms) per segment of the 2023 metric."""
EPS = float(np.finfo(float).eps)

METRICS_2024 = ("error_rate", "f_score", "doa_error", "distance_error", "rde", "localization_recall", "seld_score")
METRICS_2023 = ("error_rate", "f_score", "doa_error", "localization_recall", "seld_score")
"""Metric names in the order of the official result tuples (and of the rows of its class-wise array)."""

FrameLabels = dict[int, dict[int, dict[int, list[float]]]]
"""``organize_labels`` layout: ``[frame][class][track] = location``, frames ``0..N-1``."""
BlockLabels = dict[int, dict[int, list[list[Any]]]]
"""``segment_labels`` layout: ``[block][class] = [[frame offsets, rows per offset]]``, rows ``[track, *location]``."""


# ------------------------------------------------------------------------------------------- organising
def organize_labels(labels: Labels, n_frames: int) -> FrameLabels:
    """Frames ``0..n_frames-1`` as ``{class: {track: location}}``; a repeated (class, track) gets a new key.

    The new key is -1, or one below the smallest key when that is already negative (baseline rows, all
    track 0, become 0, -1, -2, ...), so no row is lost and the rows keep their file order.
    """
    out: FrameLabels = {}
    for frame in range(n_frames):
        classes: dict[int, dict[int, list[float]]] = {}
        for cls, track, *location in labels.get(frame, []):
            tracks = classes.setdefault(cls, {})
            if track in tracks:
                lowest = min(tracks)
                track = lowest - 1 if lowest < 0 else -1
            tracks[track] = location
        out[frame] = classes
    return out


def segment_labels(labels: Labels, n_frames: int, block_frames: int = BLOCK_FRAMES) -> BlockLabels:
    """``ceil(n_frames / block_frames)`` blocks; block b holds frames ``b*block_frames`` to ``+block_frames-1``.

    A block reaches past ``n_frames`` (the last block is complete). Per class: ``[[offsets, rows]]`` with the
    ascending frame offsets where the class is active and, per offset, that frame's ``[track, *location]`` rows.
    """
    n_blocks = max(0, math.ceil(n_frames / block_frames))
    out: BlockLabels = {}
    for block in range(n_blocks):
        per_class: dict[int, dict[int, list[Any]]] = {}
        for offset in range(block_frames):
            for cls, *rest in labels.get(block * block_frames + offset, []):
                per_class.setdefault(cls, {}).setdefault(offset, []).append(rest)
        out[block] = {cls: [[list(rows), list(rows.values())]] for cls, rows in per_class.items()}
    return out


# ------------------------------------------------------------------------------------------------ angles
def angle_between_cartesian(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle in degrees between vectors ``a[..., :3]`` and ``b[..., :3]`` (2024 formula, 1e-10 term included)."""
    x1, y1, z1 = a[..., 0], a[..., 1], a[..., 2]
    x2, y2, z2 = b[..., 0], b[..., 1], b[..., 2]
    n1 = np.sqrt(x1**2 + y1**2 + z1**2 + 1e-10)
    n2 = np.sqrt(x2**2 + y2**2 + z2**2 + 1e-10)
    dot = x1 / n1 * (x2 / n2) + y1 / n1 * (y2 / n2) + z1 / n1 * (z2 / n2)
    return np.arccos(np.clip(dot, -1, 1)) * 180 / np.pi


def angle_between_polar(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle in degrees between directions ``a[..., :2]``, ``b[..., :2]`` = (azimuth, elevation) in degrees (2023)."""
    a = a * np.pi / 180.0
    b = b * np.pi / 180.0
    az1, el1, az2, el2 = a[..., 0], a[..., 1], b[..., 0], b[..., 1]
    cos_angle = np.sin(el1) * np.sin(el2) + np.cos(el1) * np.cos(el2) * np.cos(np.abs(az1 - az2))
    return np.arccos(np.clip(cos_angle, -1, 1)) * 180 / np.pi


def _assign(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hungarian pairing (scipy, as officially). Ties are broken by position in the cost matrix, so rows and
    columns are kept in CSV order: that reproduces which pairs, and so which distance errors, count."""
    return linear_sum_assignment(cost)


# ------------------------------------------------------------------------------------------------ counts
@dataclass(frozen=True)
class SeldCounts:
    """The accumulators of the official metric objects: per-class arrays plus S, D, I. Files add up."""

    tp: np.ndarray
    fp: np.ndarray
    fp_spatial: np.ndarray
    fn: np.ndarray
    nref: np.ndarray
    de_tp: np.ndarray
    de_fn: np.ndarray
    angle_total: np.ndarray
    distance_total: np.ndarray
    rel_distance_total: np.ndarray
    substitutions: float = 0.0
    deletions: float = 0.0
    insertions: float = 0.0

    @classmethod
    def zeros(cls, num_classes: int = NUM_CLASSES) -> SeldCounts:
        return cls(*(np.zeros(num_classes) for _ in range(10)))

    def __add__(self, other: SeldCounts) -> SeldCounts:
        if not isinstance(other, SeldCounts):
            return NotImplemented
        return SeldCounts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def num_classes(self) -> int:
        return len(self.tp)


def _error_counts(
    n_ref: np.ndarray, matched: np.ndarray, spatial_fp: np.ndarray, fp: np.ndarray, fn: np.ndarray,
    angle_total: np.ndarray, distance_total: np.ndarray, rel_distance_total: np.ndarray,
) -> SeldCounts:
    """Counts from (unit, class) grids, units being frames (2024) or blocks (2023).

    ``matched`` are the localized reference tracks, ``spatial_fp`` those of them beyond a threshold. S, D and I
    compare the false positives (extra and spatial) and false negatives of each unit, all classes together.
    """
    unit_fp = (fp + spatial_fp).sum(axis=1)
    unit_fn = fn.sum(axis=1)
    return SeldCounts(
        tp=(matched - spatial_fp).sum(axis=0).astype(float),
        fp=fp.sum(axis=0).astype(float),
        fp_spatial=spatial_fp.sum(axis=0).astype(float),
        fn=fn.sum(axis=0).astype(float),
        nref=n_ref.sum(axis=0).astype(float),
        de_tp=matched.sum(axis=0).astype(float),
        de_fn=fn.sum(axis=0).astype(float),
        angle_total=angle_total,
        distance_total=distance_total,
        rel_distance_total=rel_distance_total,
        substitutions=float(np.minimum(unit_fp, unit_fn).sum()),
        deletions=float(np.maximum(0, unit_fn - unit_fp).sum()),
        insertions=float(np.maximum(0, unit_fp - unit_fn).sum()),
    )


def _flatten_frames(frames: FrameLabels, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Scored rows as (frame * num_classes + class) keys and (K, 4) x, y, z, distance, grouped by key."""
    keys, locations = [], []
    for frame, classes in frames.items():
        for cls, tracks in classes.items():
            if 0 <= cls < num_classes:
                for location in tracks.values():
                    if len(location) != 4:
                        raise ValueError(f"frame {frame}, class {cls}: expected x, y, z, distance, got {location}")
                    keys.append(frame * num_classes + cls)
                    locations.append(location)
    key_arr = np.asarray(keys, dtype=np.int64)
    order = np.argsort(key_arr, kind="stable")  # keeps the file order within a (frame, class)
    return key_arr[order], np.asarray(locations, dtype=np.float64).reshape(-1, 4)[order]


def frame_counts(pred_frames: FrameLabels, ref_frames: FrameLabels, num_classes: int = NUM_CLASSES) -> SeldCounts:
    """DCASE2024 frame-level counts of one file, from ``organize_labels`` layouts with x, y, z, distance.

    Per frame and class with K = min(references, predictions) Hungarian pairs, L of them beyond a threshold:
    TP += K - L, spatial FP += L, and the pairs' angle, distance and relative distance errors are summed.
    """
    n_frames = len(ref_frames)
    shape = (n_frames, num_classes)
    ref_keys, ref_loc = _flatten_frames(ref_frames, num_classes)
    pred_keys, pred_loc = _flatten_frames({f: v for f, v in pred_frames.items() if f < n_frames}, num_classes)
    n_ref = np.bincount(ref_keys, minlength=n_frames * num_classes)
    n_pred = np.bincount(pred_keys, minlength=n_frames * num_classes)
    ref_start = np.cumsum(n_ref) - n_ref
    pred_start = np.cumsum(n_pred) - n_pred

    # Hungarian pairs of every (frame, class) unit with references and predictions, units of one shape
    # (references x predictions) at once; a 1 x 1 unit needs no assignment.
    both = np.flatnonzero((n_ref > 0) & (n_pred > 0))
    pair_unit, pair_ref, pair_pred = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for n_g, n_p in sorted(set(zip(n_ref[both].tolist(), n_pred[both].tolist()))):
        units = both[(n_ref[both] == n_g) & (n_pred[both] == n_p)]
        ref_idx = ref_start[units][:, None] + np.arange(n_g)  # (units, n_g) rows of ref_loc
        pred_idx = pred_start[units][:, None] + np.arange(n_p)
        if n_g == n_p == 1:
            rows = cols = np.zeros((len(units), 1), dtype=np.int64)
        else:
            costs = angle_between_cartesian(ref_loc[ref_idx][:, :, None, :], pred_loc[pred_idx][:, None, :, :])
            rows, cols = (np.array(a) for a in zip(*(_assign(cost) for cost in costs)))
        pair_unit.append(np.repeat(units, rows.shape[1]))
        pair_ref.append(np.take_along_axis(ref_idx, rows, axis=1).ravel())
        pair_pred.append(np.take_along_axis(pred_idx, cols, axis=1).ravel())
    unit = np.concatenate(pair_unit)
    g, p = ref_loc[np.concatenate(pair_ref)], pred_loc[np.concatenate(pair_pred)]

    angle = angle_between_cartesian(g, p)
    dist_err = np.abs(g[:, 3] - p[:, 3])
    rel_err = dist_err / (g[:, 3] + EPS)
    beyond = (angle > DOA_THRESHOLD) | (dist_err > DIST_THRESHOLD) | (rel_err > REL_DIST_THRESHOLD)
    cls = unit % num_classes
    n_ref, n_pred = n_ref.reshape(shape), n_pred.reshape(shape)
    return _error_counts(
        n_ref,
        matched=np.minimum(n_ref, n_pred),
        spatial_fp=np.bincount(unit, weights=beyond, minlength=n_frames * num_classes).reshape(shape),
        fp=np.maximum(0, n_pred - n_ref),
        fn=np.maximum(0, n_ref - n_pred),
        angle_total=np.bincount(cls, weights=angle, minlength=num_classes),
        distance_total=np.bincount(cls, weights=dist_err, minlength=num_classes),
        rel_distance_total=np.bincount(cls, weights=rel_err, minlength=num_classes),
    )


def _block_frames(entry: list[list[Any]] | None) -> dict[int, np.ndarray]:
    """``{frame offset: (n, 2) azimuth, elevation}`` of one class in one block (track column dropped)."""
    if not entry:
        return {}
    offsets, rows = entry[0]
    return {off: np.asarray([row[1:] for row in r], dtype=np.float64) for off, r in zip(offsets, rows)}


def _mean_track_errors(ref: dict[int, np.ndarray], pred: dict[int, np.ndarray]) -> list[float]:
    """Per reference row position, the mean matched angle over the common frames (official track keys)."""
    sums: dict[int, float] = {}
    counts: dict[int, int] = {}
    for offset, g in ref.items():
        p = pred.get(offset)
        if p is None:
            continue
        cost = angle_between_polar(g[:, None, :], p[None, :, :])
        for row, col in zip(*_assign(cost)):
            sums[int(row)] = sums.get(int(row), 0.0) + cost[row, col]
            counts[int(row)] = counts.get(int(row), 0) + 1
    return [sums[row] / counts[row] for row in sums]


def segment_counts(pred_blocks: BlockLabels, ref_blocks: BlockLabels, num_classes: int = NUM_CLASSES) -> SeldCounts:
    """DCASE2023 segment-level counts of one file, from ``segment_labels`` layouts with azimuth, elevation.

    Per block and class, a side's track count is its largest number of rows in one frame. Each reference row
    position matched in some common frame is one localized track: TP if its mean angle is at most 20 degrees,
    else a spatial FP. Extra predicted tracks are FP, missing ones FN.
    """
    n_blocks = len(ref_blocks)
    n_ref = np.zeros((n_blocks, num_classes), dtype=np.int64)
    n_pred = np.zeros_like(n_ref)
    matched = np.zeros_like(n_ref)
    spatial_fp = np.zeros_like(n_ref)
    no_common_frame = np.zeros_like(n_ref, dtype=bool)
    angle_total = np.zeros(num_classes)
    for block in range(n_blocks):
        for cls in range(num_classes):
            ref = _block_frames(ref_blocks[block].get(cls))
            pred = _block_frames(pred_blocks.get(block, {}).get(cls))
            n_ref[block, cls] = max((len(r) for r in ref.values()), default=0)
            n_pred[block, cls] = max((len(p) for p in pred.values()), default=0)
            if not (ref and pred):
                continue
            errors = _mean_track_errors(ref, pred)
            no_common_frame[block, cls] = not errors
            matched[block, cls] = len(errors)
            for error in errors:
                angle_total[cls] += error
                spatial_fp[block, cls] += error > DOA_THRESHOLD
    fp = np.maximum(0, n_pred - n_ref)
    fn = np.maximum(0, n_ref - n_pred)
    # Official quirk: with no common frame, the *predicted* track count goes to the false negatives, no FP.
    fp[no_common_frame] = 0
    fn[no_common_frame] = n_pred[no_common_frame]
    zeros = np.zeros(num_classes)
    return _error_counts(n_ref, matched, spatial_fp, fp, fn, angle_total, zeros, zeros.copy())


# ------------------------------------------------------------------------------------------------ scores
def _nanmean(values: Any, axis: int | None = None) -> Any:
    """``np.nanmean`` without the all-NaN warning (the official value is then NaN too)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(values, axis)


def _per_class_error(total: np.ndarray, de_tp: np.ndarray, empty: float) -> np.ndarray:
    """Mean error per matched track; ``empty`` (NaN in 2024, 180 in 2023) for a class never matched."""
    out = total / (de_tp + EPS)
    out[de_tp == 0] = empty
    return out


def compute_scores(
    counts: SeldCounts, edition: Edition = "dcase2024", average: Average = "macro"
) -> tuple[dict[str, float], np.ndarray | None]:
    """Headline metrics (names of :data:`METRICS_2024` / :data:`METRICS_2023`) and the official class-wise array.

    The class-wise array has one row per metric and one column per class (macro only; None for micro, whose
    official class-wise result is empty). Macro values are means of the per-class values, not recomputed.
    """
    _check_choice(edition, EDITIONS, "edition")
    _check_choice(average, AVERAGES, "average")
    c = counts
    er = (c.substitutions + c.deletions + c.insertions) / (c.nref.sum() + EPS)
    year2024 = edition == "dcase2024"
    if average == "micro":
        tp, de_tp = c.tp.sum(), c.de_tp.sum()
        f = tp / (EPS + tp + c.fp_spatial.sum() + 0.5 * (c.fp.sum() + c.fn.sum()))
        lr = de_tp / (EPS + de_tp + c.de_fn.sum())
        empty = math.nan if year2024 else 180.0
        ang, dist, rel = (t.sum() / float(de_tp + EPS) if de_tp else empty
                          for t in (c.angle_total, c.distance_total, c.rel_distance_total))
        if year2024:
            seld = _nanmean([1 - f, ang / 180, rel], 0)
            values = (er, f, ang, dist, rel, lr, seld)
        else:
            seld = np.mean([er, 1 - f, ang / 180, 1 - lr], 0)
            values = (er, f, ang, lr, seld)
        return dict(zip(_metric_names(edition), map(float, values))), None

    f = c.tp / (EPS + c.tp + c.fp_spatial + 0.5 * (c.fp + c.fn))
    lr = c.de_tp / (EPS + c.de_tp + c.de_fn)
    er_c = np.repeat(er, c.num_classes)
    if year2024:
        ang, dist, rel = (_per_class_error(t, c.de_tp, math.nan)
                          for t in (c.angle_total, c.distance_total, c.rel_distance_total))
        seld = _nanmean([1 - f, ang / 180, rel], 0)
        classwise = np.array([er_c, f, ang, dist, rel, lr, seld])
        values = (er, f.mean(), _nanmean(ang), _nanmean(dist), _nanmean(rel), lr.mean(), seld.mean())
    else:
        le = _per_class_error(c.angle_total, c.de_tp, 180.0)
        seld = np.mean([er_c, 1 - f, le / 180, 1 - lr], 0)
        classwise = np.array([er_c, f, le, lr, seld])
        values = (er, f.mean(), le.mean(), lr.mean(), seld.mean())
    return dict(zip(_metric_names(edition), map(float, values))), classwise


def jackknife_intervals(
    global_values: np.ndarray, partial_estimates: np.ndarray, significance: float = 0.05
) -> np.ndarray:
    """Leave-one-out confidence intervals ``(M, 2)`` (95 % by default) of M values from ``(n, M)`` partials.

    As officially: the interval is centred on the jackknife estimate (global value minus bias), not on the
    global value, with Student's t for n - 1 degrees of freedom; NaNs propagate.
    """
    g = np.asarray(global_values, dtype=np.float64)
    p = np.asarray(partial_estimates, dtype=np.float64)
    n = len(p)
    mean = np.mean(p, axis=0)
    bias = (n - 1) * (mean - g)
    std_err = np.sqrt((n - 1) * np.mean((p - mean) * (p - mean), axis=0))
    estimate = g - bias
    t = stats.t.ppf(1 - significance / 2, n - 1)
    return np.stack([estimate + t * -std_err, estimate + t * std_err], axis=-1)


# ------------------------------------------------------------------------------------------------ result
@dataclass(frozen=True)
class DcaseResult:
    """Official DCASE SELD scores: fractions in 0-1, angles in degrees, distances in metres.

    ``per_class`` maps each metric name to its per-class values (macro averaging only). With jackknife, the
    metric fields keep the global values and ``confidence_intervals`` holds ``(low, high)`` per metric.
    """

    edition: str
    average: str
    n_files: int
    error_rate: float
    f_score: float
    doa_error: float
    localization_recall: float
    seld_score: float
    distance_error: float | None = None
    rde: float | None = None
    per_class: dict[str, np.ndarray] | None = None
    confidence_intervals: dict[str, tuple[float, float]] | None = None
    per_class_confidence_intervals: dict[str, np.ndarray] | None = None

    @property
    def metric_names(self) -> tuple[str, ...]:
        return _metric_names(self.edition)

    @property
    def classwise(self) -> np.ndarray | None:
        """The official class-wise array: one row per metric of :attr:`metric_names`, one column per class."""
        if self.per_class is None:
            return None
        return np.array([self.per_class[name] for name in self.metric_names])

    def to_json(self) -> dict[str, Any]:
        """Plain-Python dict (JSON ready): metric names as keys, NaN as None, plus ``per_class``."""
        out: dict[str, Any] = {"edition": self.edition, "average": self.average, "n_files": self.n_files}
        out.update({name: _json_float(getattr(self, name)) for name in self.metric_names})
        out["per_class"] = None if self.per_class is None else {
            name: [_json_float(v) for v in values] for name, values in self.per_class.items()
        }
        if self.confidence_intervals is not None:
            out["confidence_intervals"] = {
                name: [_json_float(v) for v in ci] for name, ci in self.confidence_intervals.items()
            }
            out["per_class_confidence_intervals"] = None if self.per_class_confidence_intervals is None else {
                name: [[_json_float(v) for v in ci] for ci in cis]
                for name, cis in self.per_class_confidence_intervals.items()
            }
        return out


def _json_float(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _metric_names(edition: str) -> tuple[str, ...]:
    return METRICS_2024 if edition == "dcase2024" else METRICS_2023


def _check_choice(value: str, choices: tuple[str, ...], what: str) -> None:
    if value not in choices:
        raise ValueError(f"{what} must be one of {choices}, got {value!r}")


def _official_vector(values: dict[str, float], classwise: np.ndarray | None) -> np.ndarray:
    """Headline values then the class-wise array row by row: the official jackknife vector."""
    head = np.array(list(values.values()))
    return head if classwise is None else np.concatenate([head, classwise.reshape(-1)])


# ------------------------------------------------------------------------------------------------- files
def _csv_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() == ".csv" and not p.name.startswith(".")
                  and p.is_file())


def _reference_files(ref_dir: Path) -> dict[str, Path]:
    """Reference CSVs by file name, from split subfolders (the official layout) or from ``ref_dir`` itself."""
    if not ref_dir.is_dir():
        raise DataError("reference folder not found", ref_dir)
    direct = _csv_files(ref_dir)
    if direct:
        return {p.name: p for p in direct}
    found: dict[str, Path] = {}
    for split in sorted(p for p in ref_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for path in _csv_files(split):
            if path.name in found:
                raise DataError(f"reference file name also used by {found[path.name]}", path)
            found[path.name] = path
    if not found:
        raise DataError("no reference CSV files (expected <split>/*.csv or *.csv)", ref_dir)
    return found


def _scored_rows(labels: Labels, frames: int, num_classes: int) -> list[tuple[int, list[float]]]:
    return [(f, row) for f, rows in labels.items() if 0 <= f < frames for row in rows if 0 <= row[0] < num_classes]


def _file_counts(pred_path: Path, ref_path: Path, edition: Edition, num_classes: int) -> SeldCounts:
    """Read one reference and its prediction, organise both with the reference's N and count, as officially."""
    year2024 = edition == "dcase2024"
    ref = read_dcase_csv(ref_path, cm_to_m=year2024, edition=edition)
    pred = read_dcase_csv(pred_path, cm_to_m=False, edition=edition)
    if not ref:
        raise DataError("reference file has no rows: the official scorer needs an annotated frame", ref_path)
    n_frames = max(0, max(ref))  # the last annotated frame index, not + 1 (official)
    if year2024:
        for path, labels in ((ref_path, ref), (pred_path, pred)):
            for frame, row in _scored_rows(labels, n_frames, num_classes):
                if len(row) == 4:
                    raise DataError(f"frame {frame}: a row without distance ({row}); the DCASE2024 metric needs "
                                    "6- or 7-field rows", path)
                if len(row) == 6:
                    raise DataError(f"frame {frame}: a 7-field row in a file whose last line is not 7-field is "
                                    "left cartesian by the official reader and cannot be scored", path)
        ref, pred = labels_to_cartesian(ref), labels_to_cartesian(pred)
        return frame_counts(organize_labels(pred, n_frames), organize_labels(ref, n_frames), num_classes)

    blocks_end = BLOCK_FRAMES * math.ceil(n_frames / BLOCK_FRAMES)
    for frame, row in _scored_rows(ref, blocks_end, num_classes):
        if len(row) != 4:
            raise DataError(f"frame {frame}: a 7-field (cartesian) reference row; the DCASE2023 scoring keeps "
                            "references polar and needs 5- or 6-field rows", ref_path)
    short = [f for f, rows in pred.items() for row in rows if len(row) < 5]
    if short:
        raise DataError(f"frame {short[0]}: a 5- or 6-field prediction row; the DCASE2023 scoring converts every "
                        "prediction row from cartesian and needs 7-field rows", pred_path)
    pred = labels_to_polar(pred)
    return segment_counts(segment_labels(pred, n_frames), segment_labels(ref, n_frames), num_classes)


def evaluate_dcase(
    pred_dir: str | Path,
    ref_dir: str | Path,
    edition: Edition = "dcase2024",
    average: Average = "macro",
    jackknife: bool = False,
    num_classes: int = NUM_CLASSES,
) -> DcaseResult:
    """Score a folder of prediction CSVs against the references, as the official DCASE scoring code.

    ``ref_dir`` holds split subfolders of CSVs (``metadata_dev/dev-test-*/``) or the CSVs themselves;
    predictions are matched by file name. Every prediction needs a reference; references without a prediction
    are skipped. ``jackknife`` adds leave-one-out (over prediction files) 95 % confidence intervals.
    """
    _check_choice(edition, EDITIONS, "edition")
    _check_choice(average, AVERAGES, "average")
    pred_dir, ref_dir = Path(pred_dir), Path(ref_dir)
    if not pred_dir.is_dir():
        raise DataError("prediction folder not found", pred_dir)
    references = _reference_files(ref_dir)
    pred_files = _csv_files(pred_dir)
    if not pred_files:
        raise DataError("no prediction CSV files", pred_dir)
    per_file = []
    for pred_path in pred_files:
        ref_path = references.get(pred_path.name)
        if ref_path is None:
            raise DataError(f"prediction file has no reference file of the same name in {ref_dir}", pred_path)
        per_file.append(_file_counts(pred_path, ref_path, edition, num_classes))

    total = functools.reduce(operator.add, per_file)
    values, classwise = compute_scores(total, edition, average)
    names = _metric_names(edition)
    intervals = per_class_intervals = None
    if jackknife:
        partials = []
        for left_out in range(len(per_file)):
            rest = functools.reduce(
                operator.add, (c for i, c in enumerate(per_file) if i != left_out), SeldCounts.zeros(num_classes)
            )
            partials.append(_official_vector(*compute_scores(rest, edition, average)))
        ci = jackknife_intervals(_official_vector(values, classwise), np.array(partials))
        intervals = {name: (float(lo), float(hi)) for name, (lo, hi) in zip(names, ci)}
        if classwise is not None:
            rows = ci[len(names) :].reshape(len(names), num_classes, 2)
            per_class_intervals = dict(zip(names, rows))
    return DcaseResult(
        edition=edition,
        average=average,
        n_files=len(per_file),
        per_class=None if classwise is None else dict(zip(names, classwise)),
        confidence_intervals=intervals,
        per_class_confidence_intervals=per_class_intervals,
        **values,
    )
