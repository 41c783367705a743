"""Error analysis of paper Table 3 and evaluation of a folder of prediction CSVs.

:func:`error_analysis` computes, micro-averaged over files, the location-sensitive F-score (SELD, at the
given threshold, 2 m for L3DAS22) overall and per polyphony (OV1/OV2/OV3, from the file names), SED-only
(class match, location ignored) and DOA-only (location match at 1, 1.5, 2, 2.5 and 3 m, class ignored),
each overall and per OV. :func:`evaluate_folder` pairs ``PRED_DIR/label_<clip>.csv`` files with the labels
of an L3DAS22 split folder and returns the totals together with that analysis.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..constants import n_label_frames
from ..data.l3das22 import audio_info, find_clips, read_prediction_csv, reference_rows
from ..errors import DataError
from .location_sensitive import MATCHING_MODES, Counts, FramePairs, stack_clips

log = logging.getLogger(__name__)

DOA_THRESHOLDS: tuple[float, ...] = (1.0, 1.5, 2.0, 2.5, 3.0)
"""Distance thresholds (m) of the DOA-only rows of paper Table 3."""
OV_GROUPS: tuple[int, ...] = (1, 2, 3)
"""Polyphony groups always reported (others are added when present)."""


def _group_counts(
    tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, frame_group: np.ndarray, groups: Sequence[int]
) -> dict[str, dict[str, float | int]]:
    """Counts and P/R/F overall and for each OV group from per-frame arrays."""
    out = {"overall": Counts(int(tp.sum()), int(fp.sum()), int(fn.sum())).to_dict()}
    size = max(groups, default=0) + 1
    sums = [np.bincount(frame_group, weights=a, minlength=size) for a in (tp, fp, fn)]
    for g in groups:
        out[f"ov{g}"] = Counts(int(sums[0][g]), int(sums[1][g]), int(sums[2][g])).to_dict()
    return out


def error_analysis(
    clips: Iterable[tuple[object, object, int, int]],
    threshold: float = 2.0,
    matching: str = "official",
    doa_thresholds: Sequence[float] = DOA_THRESHOLDS,
) -> dict[str, Any]:
    """Paper Table 3 breakdown of ``(pred_rows, ref_rows, n_frames, ov)`` files, as a JSON-ready dict.

    Keys: ``threshold``, ``matching``, ``n_clips`` (``overall``, ``ov1``...), ``seld`` and ``sed_only``
    (each ``{"overall": {...}, "ov1": {...}, ...}`` with ``tp, fp, fn, precision, recall, f_score``) and
    ``doa_only`` (``{"1.0": {"overall": ..., "ov1": ...}, "1.5": ...}``).
    """
    if matching not in MATCHING_MODES:
        raise ValueError(f"matching must be one of {MATCHING_MODES}, got {matching!r}")
    items = list(clips)
    ovs = np.array([int(item[3]) for item in items], dtype=np.int64)
    if np.any(ovs < 0):
        raise ValueError("polyphony (ov) must be non-negative")
    groups = sorted(set(OV_GROUPS) | set(ovs.tolist()))
    pred, ref, total, owner = stack_clips((p, r, n) for p, r, n, _ in items)
    frame_group = ovs[owner] if total else np.zeros(0, dtype=np.int64)
    pairs = FramePairs(pred, ref, total)

    def breakdown(**kwargs: Any) -> dict[str, dict[str, float | int]]:
        return _group_counts(*pairs.frame_counts(matching=matching, **kwargs), frame_group, groups)

    n_clips: dict[str, int] = {"overall": len(items)}
    n_clips.update({f"ov{g}": int(np.sum(ovs == g)) for g in groups})
    return {
        "threshold": float(threshold),
        "matching": matching,
        "n_clips": n_clips,
        "seld": breakdown(threshold=threshold),
        "sed_only": breakdown(threshold=threshold, ignore_location=True),
        "doa_only": {str(float(t)): breakdown(threshold=float(t), class_agnostic=True) for t in doa_thresholds},
    }


def evaluate_folder(
    pred_dir: str | Path,
    split_dir: str | Path,
    threshold: float = 2.0,
    matching: str = "official",
) -> dict[str, Any]:
    """Evaluate ``pred_dir/label_<clip>.csv`` against the labels of the L3DAS22 split folder ``split_dir``.

    A clip without a prediction file counts as predicting no events (one warning says how many);
    prediction CSVs without a matching label are reported in a warning and ignored. Returns a JSON-ready
    dict with ``tp, fp, fn, precision, recall, f_score`` (micro average over clips), ``n_clips``,
    ``missing_predictions``, ``unmatched_predictions`` and ``analysis`` (see :func:`error_analysis`).
    Raises :class:`~seld.errors.DataError` when ``pred_dir`` does not exist or the split has no clips.
    """
    if matching not in MATCHING_MODES:
        raise ValueError(f"matching must be one of {MATCHING_MODES}, got {matching!r}")
    pred_dir = Path(pred_dir)
    split_dir = Path(split_dir)
    if not pred_dir.is_dir():
        raise DataError("prediction folder not found", pred_dir)
    clips = find_clips(split_dir, require_labels=True)
    if not clips:
        raise DataError("no labelled clips found in the split folder", split_dir)

    items: list[tuple[np.ndarray, np.ndarray, int, int]] = []
    missing: list[str] = []
    used: set[str] = set()
    for clip in clips:
        frames, rate = audio_info(clip.audio_a, channels=None)  # only the duration is needed
        duration = frames / rate
        n_frames = n_label_frames(duration)
        assert clip.label is not None  # require_labels=True
        ref = reference_rows(clip.label, duration)
        pred_path = pred_dir / f"label_{clip.name}.csv"
        if pred_path.is_file():
            pred = read_prediction_csv(pred_path, n_frames)
            used.add(pred_path.name)
        else:
            pred = np.zeros((0, 5))
            missing.append(clip.name)
        items.append((pred, ref, n_frames, clip.ov))

    unmatched = sorted(p.name for p in pred_dir.glob("*.csv") if p.name not in used)
    if missing:
        shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
        log.warning(
            "%d of %d clips have no prediction file in %s (counted as no events): %s",
            len(missing),
            len(clips),
            pred_dir,
            shown,
        )
    if unmatched:
        shown = ", ".join(unmatched[:5]) + (", ..." if len(unmatched) > 5 else "")
        log.warning("%d prediction files have no matching label (ignored): %s", len(unmatched), shown)

    analysis = error_analysis(items, threshold=threshold, matching=matching)
    overall = analysis["seld"]["overall"]
    return {
        "pred_dir": str(pred_dir),
        "split_dir": str(split_dir),
        "threshold": float(threshold),
        "matching": matching,
        "n_clips": len(clips),
        **overall,
        "missing_predictions": missing,
        "unmatched_predictions": unmatched,
        "analysis": analysis,
    }
