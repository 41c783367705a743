"""The L3DAS22 location-sensitive detection metric, vectorised over frames.

Rows are ``(K, 5)`` arrays ``frame, class, x, y, z`` (coordinates in metres). Per frame t with N_t reference
and N_p predicted rows, a (reference, prediction) pair *matches* when the classes are equal and the
Euclidean distance is strictly below the threshold. Then:

* ``matching="official"`` reproduces the L3DAS22 function, quirks included: with M = min(number of distinct
  predictions in matching pairs, number of distinct references in matching pairs), TP += M,
  FN += N_t - M, FP += N_p - M (N_t = 0 gives FP += N_p, N_p = 0 gives FN += N_t). M is not a one-to-one
  assignment and can exceed the true maximum matching. :func:`_official_matches` is the one implementation
  of this rule (per-frame M); the metric (:func:`location_sensitive_detection`, :func:`evaluate_clips`)
  sums it and the error analysis (:meth:`FramePairs.frame_counts`) groups it by frame.
* ``matching="optimal"`` uses M = size of a maximum one-to-one matching of the match matrix (strict).

Switches for the error analysis: ``class_agnostic`` (classes ignored: DOA-only) and ``ignore_location``
(distance ignored: SED-only). Totals are summed over files (micro average) and turned into
precision/recall/F with :func:`prf`, exactly as the official code.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.optimize import linear_sum_assignment

MATCHING_MODES = ("official", "optimal")
EPS = sys.float_info.epsilon  # == np.finfo(float).eps, as the official code


@dataclass(frozen=True)
class Counts:
    """True positives, false positives and false negatives; ``a + b`` sums them."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Counts) -> Counts:
        if not isinstance(other, Counts):
            return NotImplemented
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    def __radd__(self, other: object) -> Counts:  # lets sum(list_of_counts) work
        if other == 0:
            return self
        return NotImplemented

    @property
    def precision(self) -> float:
        return prf(self)[0]

    @property
    def recall(self) -> float:
        return prf(self)[1]

    @property
    def f_score(self) -> float:
        return prf(self)[2]

    def to_dict(self) -> dict[str, float | int]:
        """``tp, fp, fn, precision, recall, f_score`` as plain Python numbers (JSON ready)."""
        p, r, f = prf(self)
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": p, "recall": r, "f_score": f}


def prf(counts: Counts) -> tuple[float, float, float]:
    """Precision, recall and F-score, with the official epsilons."""
    tp, fp, fn = counts.tp, counts.fp, counts.fn
    precision = tp / (tp + fp + EPS)
    recall = tp / (tp + fn + EPS)
    f_score = 2 * ((precision * recall) / (precision + recall + EPS))
    return float(precision), float(recall), float(f_score)


def as_rows(rows: object, n_frames: int, what: str = "rows") -> np.ndarray:
    """Check and convert rows to a float64 ``(K, 5)`` array with integer frames in ``[0, n_frames)``."""
    arr = np.asarray(rows, dtype=np.float64)
    if arr.size == 0:
        return np.zeros((0, 5), dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 5:
        raise ValueError(f"{what}: expected a (K, 5) array of frame, class, x, y, z; got shape {arr.shape}")
    frames = arr[:, 0]
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{what}: non-finite values")
    if np.any(frames != np.round(frames)):
        raise ValueError(f"{what}: frame indices must be integers")
    if np.any(frames < 0) or np.any(frames >= n_frames):
        bad = frames[(frames < 0) | (frames >= n_frames)][0]
        raise ValueError(f"{what}: frame {int(bad)} outside 0..{n_frames - 1}")
    return arr


def _pad_by_frame(rows: np.ndarray, n_frames: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group rows by frame: class (T, W), xyz (T, W, 3), valid (T, W), W = max rows per frame."""
    frames = rows[:, 0].astype(np.int64)
    counts = np.bincount(frames, minlength=n_frames)
    width = int(counts.max()) if len(frames) else 0
    order = np.argsort(frames, kind="stable")  # keeps the row order inside a frame
    f = frames[order]
    starts = np.cumsum(counts) - counts
    rank = np.arange(len(f)) - starts[f]
    cls = np.zeros((n_frames, width), dtype=np.float64)
    xyz = np.zeros((n_frames, width, 3), dtype=np.float64)
    valid = np.zeros((n_frames, width), dtype=bool)
    cls[f, rank] = rows[order, 1]
    xyz[f, rank] = rows[order, 2:5]
    valid[f, rank] = True
    return cls, xyz, valid


class FramePairs:
    """Per-frame (reference x prediction) pair data of one or more files, built once, queried often.

    Several files are evaluated together by offsetting their frames (see :func:`stack_clips`); the
    per-frame counts returned by :meth:`frame_counts` can then be summed per file or per group. Official
    counts come from :func:`_official_matches` (the same routine as :func:`location_sensitive_detection`);
    the padded pair matrices (:attr:`both`, :attr:`valid`, :attr:`same_class`, :attr:`dist`), needed
    only by optimal matching and :meth:`match_matrix`, are built on first use.
    """

    def __init__(self, pred_rows: object, ref_rows: object, n_frames: int) -> None:
        self.pred = as_rows(pred_rows, n_frames, "predictions")
        self.ref = as_rows(ref_rows, n_frames, "references")
        self.n_frames = int(n_frames)
        self.n_pred = np.bincount(self.pred[:, 0].astype(np.int64), minlength=self.n_frames)
        self.n_ref = np.bincount(self.ref[:, 0].astype(np.int64), minlength=self.n_frames)

    @cached_property
    def _padded(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        p_cls, p_xyz, p_valid = _pad_by_frame(self.pred, self.n_frames)
        r_cls, r_xyz, r_valid = _pad_by_frame(self.ref, self.n_frames)
        # Only frames with both references and predictions need pair matrices.
        b = np.flatnonzero((self.n_pred > 0) & (self.n_ref > 0))
        valid = r_valid[b][:, :, None] & p_valid[b][:, None, :]  # (S, R, P)
        same_class = r_cls[b][:, :, None] == p_cls[b][:, None, :]
        diff = r_xyz[b][:, :, None, :] - p_xyz[b][:, None, :, :]
        dist = np.sqrt(np.sum(diff * diff, axis=-1))  # as np.linalg.norm of the difference
        return b, valid, same_class, dist

    @property
    def both(self) -> np.ndarray:
        """Indices (S,) of the frames with at least one reference and one prediction."""
        return self._padded[0]

    @property
    def valid(self) -> np.ndarray:
        """Boolean (S, R, P): the padded cell holds a real (reference, prediction) pair."""
        return self._padded[1]

    @property
    def same_class(self) -> np.ndarray:
        """Boolean (S, R, P): the pair's classes are equal."""
        return self._padded[2]

    @property
    def dist(self) -> np.ndarray:
        """Float (S, R, P): Euclidean distance of the pair."""
        return self._padded[3]

    def match_matrix(
        self, threshold: float = 2.0, class_agnostic: bool = False, ignore_location: bool = False
    ) -> np.ndarray:
        """Boolean (S, R, P) matrix of matching pairs for the frames :attr:`both`."""
        match = self.valid.copy()
        if not class_agnostic:
            match &= self.same_class
        if not ignore_location:
            match &= self.dist < threshold
        return match

    def frame_counts(
        self,
        threshold: float = 2.0,
        matching: str = "official",
        class_agnostic: bool = False,
        ignore_location: bool = False,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-frame TP, FP, FN ``(n_frames,)`` int64 arrays."""
        if matching not in MATCHING_MODES:
            raise ValueError(f"matching must be one of {MATCHING_MODES}, got {matching!r}")
        if matching == "official":
            m = _official_matches(self.pred, self.ref, self.n_frames, threshold, class_agnostic, ignore_location)
        else:
            m = np.zeros(self.n_frames, dtype=np.int64)
            m[self.both] = _maximum_matching(self.match_matrix(threshold, class_agnostic, ignore_location))
        return m, self.n_pred - m, self.n_ref - m


_POPCOUNT16 = np.array([bin(i).count("1") for i in range(1 << 16)], dtype=np.int64)


def _popcount(x: np.ndarray) -> np.ndarray:
    """Number of set bits of non-negative integers below 2**16."""
    return _POPCOUNT16[x]


def _maximum_matching(match: np.ndarray) -> np.ndarray:
    """Maximum one-to-one matching size per frame of boolean (S, R, P) matrices.

    The number of matched rows on the smaller side, M = min(distinct references, distinct predictions in
    matching pairs), is an upper bound; it is exact when M <= 1 or when every reference and every
    prediction takes part in at most one matching pair. The other frames are solved at once with the
    Konig-Ore formula (max matching = |A| - max over subsets X of A of (|X| - |N(X)|), A the smaller
    side) using bit masks, or one by one with ``linear_sum_assignment`` for unusually large frames.
    """
    bound = np.minimum(match.any(axis=1).sum(axis=1), match.any(axis=2).sum(axis=1)).astype(np.int64)
    out = bound.copy()
    simple = (match.sum(axis=2) <= 1).all(axis=1) & (match.sum(axis=1) <= 1).all(axis=1)
    hard = np.flatnonzero((bound >= 2) & ~simple)
    if len(hard) == 0:
        return out
    sub = match[hard]
    if sub.shape[1] > sub.shape[2]:
        sub = sub.transpose(0, 2, 1)  # subsets are enumerated on the smaller side
    n_small, n_large = sub.shape[1], sub.shape[2]
    if n_small <= 10 and n_large <= 16:
        masks = (sub.astype(np.int64) << np.arange(n_large)).sum(axis=2)  # (H, n_small) neighbour sets
        subset_size = _popcount(np.arange(1 << n_small))
        chunk = max(1, (1 << 22) >> n_small)  # bounded memory: at most ~4M subset entries at once
        for lo in range(0, len(hard), chunk):
            m = masks[lo : lo + chunk]
            neigh = np.zeros((len(m), 1 << n_small), dtype=np.int64)  # N(X) for every subset X
            for j in range(n_small):
                neigh[:, 1 << j : 2 << j] = neigh[:, : 1 << j] | m[:, j : j + 1]
            deficiency = (subset_size[None, :] - _popcount(neigh)).max(axis=1)  # >= 0 (empty subset)
            out[hard[lo : lo + chunk]] = n_small - deficiency
        return out
    for s, mat in zip(hard, match[hard]):
        rows = np.flatnonzero(mat.any(axis=1))
        cols = np.flatnonzero(mat.any(axis=0))
        small = mat[np.ix_(rows, cols)]
        r, c = linear_sum_assignment(small, maximize=True)
        out[s] = int(small[r, c].sum())
    return out


_MAX_CLASS_KEYS = 4096
"""Largest class range keyed as (frame, class); wider ranges (not class indices) fall back to frame keys."""


def _official_matches(
    pred: np.ndarray, ref: np.ndarray, n_frames: int, threshold: float, class_agnostic: bool, ignore_location: bool
) -> np.ndarray:
    """The official per-frame M, an ``(n_frames,)`` int64 array, of checked ``(K, 5)`` rows.

    The one implementation of the official counting rule: TP = M, FP = N_p - M and FN = N_t - M per frame,
    so the totals are TP = M.sum(), FP = len(pred) - TP and FN = len(ref) - TP. M = min(distinct
    references, distinct predictions) in matching pairs (0 where a frame lacks either side).

    Candidate pairs are formed from one flat list: rows are grouped by a key, (frame, class) or the frame
    alone when classes are ignored, so the cost grows with the number of same-key pairs, not with frames x
    max rows^2 as with padding.
    """
    if len(pred) == 0 or len(ref) == 0:
        return np.zeros(n_frames, dtype=np.int64)
    pf, rf = pred[:, 0].astype(np.int64), ref[:, 0].astype(np.int64)
    p_key, r_key = pf, rf
    class_test = not class_agnostic
    if not class_agnostic:
        p_cls, r_cls = np.floor(pred[:, 1]), np.floor(ref[:, 1])
        lo = min(p_cls.min(), r_cls.min())
        width = int(max(p_cls.max(), r_cls.max()) - lo) + 1
        if width <= _MAX_CLASS_KEYS:  # else: frame keys, and the class test below does the work
            p_key = pf * width + (p_cls - lo).astype(np.int64)
            r_key = rf * width + (r_cls - lo).astype(np.int64)
            # Integer classes: equal keys already mean equal classes.
            class_test = not (np.array_equal(p_cls, pred[:, 1]) and np.array_equal(r_cls, ref[:, 1]))
    order = np.argsort(p_key, kind="stable")
    sorted_keys = p_key[order]
    start = np.searchsorted(sorted_keys, r_key, side="left")
    per_ref = np.searchsorted(sorted_keys, r_key, side="right") - start
    n_pairs = int(per_ref.sum())
    ref_idx = np.repeat(np.arange(len(ref)), per_ref)
    first = np.repeat(np.cumsum(per_ref) - per_ref, per_ref)
    pred_idx = order[np.repeat(start, per_ref) + (np.arange(n_pairs) - first)]
    if class_test:
        same = ref[:, 1][ref_idx] == pred[:, 1][pred_idx]
        ref_idx, pred_idx = ref_idx[same], pred_idx[same]
    if not ignore_location:
        d2 = np.zeros(len(ref_idx))
        for c in (2, 3, 4):  # sum of squares in axis order, as the official norm of the difference
            dc = ref[:, c][ref_idx] - pred[:, c][pred_idx]
            d2 += dc * dc
        near = np.sqrt(d2) < threshold
        ref_idx, pred_idx = ref_idx[near], pred_idx[near]
    ref_hit = np.zeros(len(ref), dtype=bool)
    pred_hit = np.zeros(len(pred), dtype=bool)
    ref_hit[ref_idx] = True
    pred_hit[pred_idx] = True
    return np.minimum(np.bincount(rf[ref_hit], minlength=n_frames), np.bincount(pf[pred_hit], minlength=n_frames))


def _official_counts(
    pred: np.ndarray, ref: np.ndarray, n_frames: int, threshold: float, class_agnostic: bool, ignore_location: bool
) -> Counts:
    """Official totals of checked rows: the sums of :func:`_official_matches`."""
    tp = int(_official_matches(pred, ref, n_frames, threshold, class_agnostic, ignore_location).sum())
    return Counts(tp, len(pred) - tp, len(ref) - tp)


def location_sensitive_detection(
    pred_rows: object,
    ref_rows: object,
    n_frames: int,
    threshold: float = 2.0,
    matching: str = "official",
    class_agnostic: bool = False,
    ignore_location: bool = False,
) -> Counts:
    """Location-sensitive detection counts of one file (``matching``: ``official`` or ``optimal``)."""
    if matching == "official":
        pred = as_rows(pred_rows, n_frames, "predictions")
        ref = as_rows(ref_rows, n_frames, "references")
        return _official_counts(pred, ref, int(n_frames), threshold, class_agnostic, ignore_location)
    pairs = FramePairs(pred_rows, ref_rows, n_frames)
    tp, fp, fn = pairs.frame_counts(threshold, matching, class_agnostic, ignore_location)
    return Counts(int(tp.sum()), int(fp.sum()), int(fn.sum()))


def stack_clips(
    clips: Iterable[tuple[object, object, int]], first_index: int = 0,
) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
    """Concatenate several files' (pred_rows, ref_rows, n_frames) with frame offsets.

    Returns ``(pred, ref, total_frames, clip_of_frame)`` where ``clip_of_frame`` (total_frames,) gives the
    index of the file each stacked frame belongs to. The rows of all files are checked in one pass; only
    when that pass fails are the files checked one by one, to name the first bad one (clips are numbered
    from ``first_index`` in messages).
    """
    items = []
    for i, (pred_rows, ref_rows, n_frames) in enumerate(clips):
        pred, ref = np.asarray(pred_rows, dtype=np.float64), np.asarray(ref_rows, dtype=np.float64)
        pred = pred.reshape(0, 5) if pred.size == 0 else pred
        ref = ref.reshape(0, 5) if ref.size == 0 else ref
        if pred.ndim != 2 or pred.shape[1] != 5 or ref.ndim != 2 or ref.shape[1] != 5:
            as_rows(pred, int(n_frames), f"predictions of clip {first_index + i}")
            as_rows(ref, int(n_frames), f"references of clip {first_index + i}")
        items.append((pred, ref, int(n_frames)))
    if not items:
        empty = np.zeros((0, 5))
        return empty, empty, 0, np.zeros(0, dtype=np.int64)
    lengths = np.array([n for _, _, n in items], dtype=np.int64)
    offsets = np.cumsum(lengths) - lengths
    stacked = []
    for k in (0, 1):
        rows = np.concatenate([it[k] for it in items])
        owner = np.repeat(np.arange(len(items)), [len(it[k]) for it in items])
        frames = rows[:, 0]
        limit = lengths[owner]
        if not (np.isfinite(rows).all() and (frames == np.round(frames)).all()
                and (frames >= 0).all() and (frames < limit).all()):
            what = "predictions" if k == 0 else "references"
            for i, it in enumerate(items):
                as_rows(it[k], it[2], f"{what} of clip {first_index + i}")
        rows[:, 0] += offsets[owner]  # concatenate made a copy: the callers' arrays are untouched
        stacked.append(rows)
    owners = np.repeat(np.arange(len(items)), lengths)
    return stacked[0], stacked[1], int(lengths.sum()), owners


def evaluate_clips(
    clips: Iterable[tuple[object, object, int]],
    threshold: float = 2.0,
    matching: str = "official",
    class_agnostic: bool = False,
    ignore_location: bool = False,
) -> Counts:
    """Micro-averaged counts over several files of ``(pred_rows, ref_rows, n_frames)``.

    Official matching works on blocks of about :data:`_BLOCK_ROWS` rows (whole files): large enough that
    numpy's per-call overhead is shared, small enough that the temporaries stay in cache.
    """
    if matching not in MATCHING_MODES:
        raise ValueError(f"matching must be one of {MATCHING_MODES}, got {matching!r}")
    if matching == "official":
        total_counts = Counts()
        block: list[tuple[object, object, int]] = []
        rows = first = 0
        for i, clip in enumerate(clips):
            block.append(clip)
            rows += len(clip[0]) + len(clip[1])  # type: ignore[arg-type]
            if rows >= _BLOCK_ROWS:
                total_counts += _official_block(block, first, threshold, class_agnostic, ignore_location)
                block, rows, first = [], 0, i + 1
        if block:
            total_counts += _official_block(block, first, threshold, class_agnostic, ignore_location)
        return total_counts
    pred, ref, total, _ = stack_clips(clips)
    if total == 0:
        return Counts()
    pairs = FramePairs(pred, ref, total)
    tp, fp, fn = pairs.frame_counts(threshold, matching, class_agnostic, ignore_location)
    return Counts(int(tp.sum()), int(fp.sum()), int(fn.sum()))


_BLOCK_ROWS = 8_192
"""Rows (predictions + references) per block of files in :func:`evaluate_clips`."""


def _official_block(block: list[tuple[object, object, int]], first: int, threshold: float, class_agnostic: bool,
                    ignore_location: bool) -> Counts:
    pred, ref, total, _ = stack_clips(block, first)
    if total == 0:
        return Counts()
    return _official_counts(pred, ref, total, threshold, class_agnostic, ignore_location)
