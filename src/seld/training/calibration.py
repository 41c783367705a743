"""Per-class detection thresholds chosen on the validation split after training.

The paper decodes every class at a fixed 0.5. A network trained for a short budget is often under-confident
for some classes (high precision, low recall), so one threshold per class, chosen to maximise the validation
F-score of the dataset format's own metric, recovers detections a fixed threshold misses.

Both metrics (L3DAS22 location-sensitive counts, DCASE frame counts) match predictions to references class by
class, so a clip's count vector is the counts of no predictions plus, for every class, what that class's rows
add. :func:`class_threshold_counts` measures that addition for every class and candidate threshold once;
:func:`choose_thresholds` then maximises the F-score by coordinate ascent over classes on those tables (no
further decoding), and :func:`calibrate` confirms the chosen values with one direct count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..checkpoints import load_model, store_thresholds
from ..datasets import get_dataset
from ..datasets.base import Scorer
from ..formats import get_format
from ..formats.base import OutputFormat, Outputs
from ..utils.progress import progress
from .data import LoadedClip

GRID = tuple(round(0.05 * k, 2) for k in range(1, 20))
"""Candidate thresholds: 0.05, 0.10, ..., 0.95."""


@dataclass
class Calibration:
    """Chosen thresholds and the validation scores at the fixed default and at the chosen values."""

    thresholds: np.ndarray  # (C,)
    default: float
    scores_default: dict[str, float]
    scores_calibrated: dict[str, float]
    n_clips: int

    def to_dict(self) -> dict[str, Any]:
        """Plain data for a checkpoint (loads with ``weights_only=True``) or a JSON report."""
        return {"values": [float(v) for v in self.thresholds], "default": float(self.default),
                "f_default": float(self.scores_default["f_score"]),
                "f_calibrated": float(self.scores_calibrated["f_score"]), "n_clips": int(self.n_clips),
                "grid": list(GRID)}


def class_threshold_counts(
    fmt: OutputFormat, scorer: Scorer, posteriors: Sequence[Outputs], references: Sequence[Any],
    n_frames: Sequence[int], num_classes: int, grid: Sequence[float] = GRID, show_progress: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """``base`` (K,): the counts of no predictions; ``delta`` (C, G, K): what class c's rows add at grid value g.

    Summed over the clips. ``base + delta[c, g]`` summed over the classes with their chosen g is the count of
    decoding with those per-class thresholds (class-wise matching makes the classes independent).
    """
    empty = np.zeros((0, 5))
    nothings = [scorer.counts(empty, ref, n) for ref, n in zip(references, n_frames, strict=True)]
    base = sum(nothings, scorer.zeros())
    delta = np.zeros((num_classes, len(grid), len(base)))
    clips = list(zip(posteriors, references, n_frames, nothings, strict=True))
    for post, ref, n, nothing in progress(clips, desc="calibrating thresholds", unit="clip", enabled=show_progress):
        for g, thr in enumerate(grid):
            rows = fmt.decode(post, thr)
            cls = rows[:, 1].astype(int) if len(rows) else np.zeros(0, dtype=int)
            for c in np.unique(cls):
                delta[c, g] += scorer.counts(rows[cls == c], ref, n) - nothing
    return base, delta


def candidate_grid(default: float, grid: Sequence[float] = GRID) -> tuple[float, ...]:
    """The candidate thresholds with ``default`` among them (sorted)."""
    return tuple(float(v) for v in np.unique(np.append(np.asarray(grid, dtype=np.float64), float(default))))


def choose_thresholds(
    base: np.ndarray, delta: np.ndarray, scorer: Scorer, default: float = 0.5, grid: Sequence[float] = GRID,
    passes: int = 3,
) -> np.ndarray:
    """Per-class thresholds maximising ``scorer.scores(...)["f_score"]`` by coordinate ascent from ``default``.

    ``grid`` is the one ``delta`` was counted on and must hold ``default`` (:func:`candidate_grid`). A class moves
    only to a strictly better F-score, trying values nearest the default first, so a class the validation split
    never shows keeps the default.
    """
    grid_arr = np.asarray(grid, dtype=np.float64)
    hits = np.nonzero(np.abs(grid_arr - default) < 1e-9)[0]
    if not len(hits):
        raise ValueError(f"the grid must hold the default threshold {default}")
    num_classes = delta.shape[0]
    classes = np.arange(num_classes)

    def f_of(choice: np.ndarray) -> float:
        f = scorer.scores(base + delta[classes, choice].sum(0))["f_score"]
        return -1.0 if f is None or not np.isfinite(f) else float(f)

    choice = np.full(num_classes, hits[0])
    best = f_of(choice)
    order = np.argsort(np.abs(grid_arr - default), kind="stable")
    for _ in range(passes):
        changed = False
        for c in range(num_classes):
            for g in order:
                if g == choice[c]:
                    continue
                trial = choice.copy()
                trial[c] = g
                f = f_of(trial)
                if f > best + 1e-12:
                    choice, best, changed = trial, f, True
        if not changed:
            break
    return grid_arr[choice]


def calibrate(
    fmt: OutputFormat, scorer: Scorer, posteriors: Sequence[Outputs], references: Sequence[Any],
    n_frames: Sequence[int], num_classes: int, default: float = 0.5, grid: Sequence[float] = GRID,
    show_progress: bool = False,
) -> Calibration:
    """Choose per-class thresholds on these clips and score them directly against the fixed ``default``."""
    grid = candidate_grid(default, grid)
    base, delta = class_threshold_counts(fmt, scorer, posteriors, references, n_frames, num_classes, grid,
                                         show_progress=show_progress)
    values = choose_thresholds(base, delta, scorer, default, grid)

    def direct(thr: float | np.ndarray) -> dict[str, float]:
        total = scorer.zeros()
        for post, ref, n in zip(posteriors, references, n_frames, strict=True):
            total = total + scorer.counts(fmt.decode(post, thr), ref, n)
        return scorer.scores(total)

    return Calibration(values, float(default), direct(float(default)), direct(values), len(posteriors))


@torch.no_grad()
def validation_posteriors(model: torch.nn.Module, fmt: OutputFormat, waves: Sequence[torch.Tensor],
                          show_progress: bool = False) -> list[Outputs]:
    """Posteriors of whole clips (as validation computes them): one forward pass per clip, no batch axis."""
    model.eval()
    device = next(model.parameters()).device
    out = []
    for wave in progress(list(waves), desc="validation posteriors", unit="clip", enabled=show_progress):
        post = fmt.posteriors(model(wave[None].to(device)))
        out.append({k: v[0].cpu() for k, v in post.items()})
    return out


def calibrate_checkpoint(path: str | Path, clips: Sequence[LoadedClip], show_progress: bool = False) -> Calibration:
    """Calibrate a checkpoint on labelled clips held in memory and store the thresholds in it (atomically)."""
    model, cfg = load_model(path)
    fmt = get_format(model.output_format)
    dataset = get_dataset(cfg.data.format)
    posts = validation_posteriors(model, fmt, [c.wave for c in clips], show_progress=show_progress)
    cal = calibrate(fmt, dataset.scorer(), posts, [c.reference for c in clips], [c.n_frames for c in clips],
                    num_classes=len(dataset.classes), default=cfg.train.sed_threshold, show_progress=show_progress)
    store_thresholds(path, cal.to_dict())
    return cal


def describe(cal: Calibration, classes: Sequence[str]) -> str:
    """Two lines for a terminal: the validation F at the fixed and at the calibrated thresholds, and the values."""
    values = ", ".join(f"{name} {v:.2f}" for name, v in zip(classes, cal.thresholds, strict=True))
    return (f"calibrated thresholds on {cal.n_clips} validation clips: F {cal.scores_default['f_score']:.4f} at "
            f"{cal.default:g} -> {cal.scores_calibrated['f_score']:.4f}\n  {values}")
