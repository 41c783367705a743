"""Metric: seld's vectorised location-sensitive detection vs the official per-frame Python loop.

The reference below follows the L3DAS22 ``location_sensitive_detection`` function as published: rows are
grouped by frame, then for every frame every (reference, prediction) pair is compared in Python
(class equal and ``np.linalg.norm`` distance below the threshold), and the counts use the number of
distinct matched references and predictions. The counts of both implementations must be identical.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .common import measure, row


def official_by_frame(rows: np.ndarray, n_frames: int) -> list[list[list[float]]]:
    """``compute_sed_by_frame``-style grouping: per frame a list of [class, x, y, z]."""
    by_frame: list[list[list[float]]] = [[] for _ in range(n_frames)]
    for r in rows:
        by_frame[int(r[0])].append([r[1], r[2], r[3], r[4]])
    return by_frame


def official_location_sensitive_detection(
    pred: np.ndarray, true: np.ndarray, n_frames: int, spatial_threshold: float = 2.0
) -> tuple[int, int, int]:
    """The official per-frame loop (TP, FP, FN) of one file."""
    tp = fp = fn = 0
    pred_by_frame = official_by_frame(pred, n_frames)
    true_by_frame = official_by_frame(true, n_frames)
    for frame in range(n_frames):
        t = true_by_frame[frame]
        p = pred_by_frame[frame]
        num_true_items = len(t)
        num_pred_items = len(p)
        match_ids_p: list[int] = []
        match_ids_t: list[int] = []
        if num_true_items == 0:
            fp += num_pred_items
        elif num_pred_items == 0:
            fn += num_true_items
        else:
            for i_t in range(len(t)):
                true_class = t[i_t][0]
                true_coord = np.array(t[i_t][-3:])
                for i_p in range(len(p)):
                    pred_class = p[i_p][0]
                    pred_coord = np.array(p[i_p][-3:])
                    spat_error = np.linalg.norm(true_coord - pred_coord)
                    if true_class == pred_class and spat_error < spatial_threshold:
                        match_ids_t.append(i_t)
                        match_ids_p.append(i_p)
            matched = int(np.min((len(np.unique(match_ids_t)), len(np.unique(match_ids_p)))))
            tp += matched
            fp += num_pred_items - matched
            fn += num_true_items - matched
    return tp, fp, fn


def make_clip(rng: np.random.Generator, n_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Reference rows with 0-3 overlapping events per frame and noisy, partly wrong predictions."""
    ref, pred = [], []
    n_events = int(rng.integers(8, 20))
    for _ in range(n_events):
        start = int(rng.integers(0, n_frames - 5))
        end = min(n_frames, start + int(rng.integers(5, 60)))
        cls = int(rng.integers(0, 14))
        pos = rng.uniform([-2, -1.5, -1], [2, 1.5, 1])
        for f in range(start, end):
            ref.append([f, cls, *pos])
            if rng.random() < 0.85:  # detected, sometimes with the wrong class, always with some error
                p_cls = cls if rng.random() < 0.9 else int(rng.integers(0, 14))
                pred.append([f, p_cls, *(pos + rng.normal(0, 0.8, 3))])
    for _ in range(int(rng.integers(0, 60))):  # false alarms
        pred.append([int(rng.integers(0, n_frames)), int(rng.integers(0, 14)), *rng.uniform(-2, 2, 3)])
    ref_a = np.array(ref, dtype=np.float64).reshape(-1, 5)
    pred_a = np.array(pred, dtype=np.float64).reshape(-1, 5)
    return pred_a[np.argsort(pred_a[:, 0], kind="stable")], ref_a[np.argsort(ref_a[:, 0], kind="stable")]


def run(quick: bool, gpu: bool, repeats: int) -> dict[str, Any]:
    from seld.metrics import Counts, evaluate_clips, location_sensitive_detection

    n_clips = 30 if quick else 150  # L3DAS22 dev/test size: 150 clips of 30 s
    n_frames = 300
    rng = np.random.default_rng(0)
    clips = [(*make_clip(rng, n_frames), n_frames) for _ in range(n_clips)]

    def baseline() -> tuple[int, int, int]:
        tot = [0, 0, 0]
        for pred, ref, n in clips:
            c = official_location_sensitive_detection(pred, ref, n)
            tot = [a + b for a, b in zip(tot, c)]
        return tot[0], tot[1], tot[2]

    def per_clip() -> Counts:
        return sum((location_sensitive_detection(p, r, n) for p, r, n in clips), Counts())

    def stacked() -> Counts:
        return evaluate_clips(clips)

    ref_counts = baseline()
    got_clip, got_stack = per_clip(), stacked()
    for got in (got_clip, got_stack):
        if (got.tp, got.fp, got.fn) != ref_counts:
            raise AssertionError(f"metric mismatch: official loop {ref_counts}, seld {got}")
    b = measure(baseline, max(1, repeats - 1) if not quick else 1, warmup=0)
    fast_repeats = repeats if quick else max(repeats, 15)  # milliseconds each: more repeats, steadier median
    s1 = measure(per_clip, fast_repeats)
    s2 = measure(stacked, fast_repeats)
    counts = {"tp": ref_counts[0], "fp": ref_counts[1], "fn": ref_counts[2]}
    details = {"clips": n_clips, "frames_per_clip": n_frames, "counts": counts, "identical_counts": True}
    rows = [
        row("metric", f"evaluate {n_clips} clips x {n_frames} frames (all clips at once)", "s",
            s2["median_s"], b["median_s"], higher_is_better=False,
            seld_label="seld evaluate_clips (vectorised, clips stacked)",
            baseline_label="official per-frame Python loop", target=">= 50x, identical counts", goal_ratio=50.0,
            details={**details, "seld_times_s": s2["times_s"], "baseline_times_s": b["times_s"]}),
        row("metric", f"evaluate {n_clips} clips x {n_frames} frames (one call per clip)", "s",
            s1["median_s"], b["median_s"], higher_is_better=False,
            seld_label="seld location_sensitive_detection per clip",
            baseline_label="official per-frame Python loop", target="info",
            details={**details, "seld_times_s": s1["times_s"]}),
    ]
    return {"rows": rows, "notes": [f"identical counts on {n_clips} clips: TP {counts['tp']}, "
                                    f"FP {counts['fp']}, FN {counts['fn']}"]}
