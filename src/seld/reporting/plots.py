"""Plots people would rather look at than read: training curves and a ground-truth/prediction timeline."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from ..constants import CLASSES, LABEL_HOP_S
from ..io_utils import atomic_path


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(plt, fig, out_png: str | Path, rect: tuple[float, float, float, float] | None = None) -> Path:
    """Lay out (within ``rect`` of the figure), write atomically (a kill never leaves a truncated PNG) and
    free the figure."""
    fig.tight_layout(rect=rect)
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)
    return Path(out_png)


def read_metrics_csv(path: str | Path) -> dict[str, list[tuple[float, float]]]:
    """Lightning CSVLogger metrics.csv -> {metric: [(step or epoch, value), ...]}."""
    series: dict[str, list[tuple[float, float]]] = {}
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            step = float(row.get("step") or 0)
            epoch = row.get("epoch")
            for key, value in row.items():
                if key in ("step", "epoch") or value in (None, ""):
                    continue
                x = float(epoch) if key.startswith(("val/", "weight/")) and epoch not in (None, "") else step
                try:
                    series.setdefault(key, []).append((x, float(value)))
                except ValueError:
                    continue
    return series


def _moving_average(y: np.ndarray, width: int) -> np.ndarray:
    """Trailing mean over ``width`` points (shorter at the start), for readable per-step losses."""
    if width <= 1 or len(y) < 2:
        return y
    c = np.cumsum(np.insert(y, 0, 0.0))
    idx = np.arange(1, len(y) + 1)
    lo = np.maximum(0, idx - width)
    return (c[idx] - c[lo]) / (idx - lo)


def plot_training_curves(runs: dict[str, str | Path], out_png: str | Path) -> Path:
    """Loss, validation F-score and loss weights of one or more runs (label -> run folder).

    One colour per run in every panel and one legend for the figure; the per-step training loss is
    drawn faintly with its moving average on top; loss weights: lambda solid, tau dashed.
    """
    plt = _pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    handles = []
    for i, (label, run_dir) in enumerate(runs.items()):
        path = Path(run_dir) / "logs" / "metrics.csv"
        if not path.exists():
            continue
        colour = colours[i % len(colours)]
        s = read_metrics_csv(path)
        if "train/loss" in s:
            x, y = np.array(s["train/loss"]).T
            axes[0].plot(x, y, color=colour, alpha=0.15, linewidth=0.8)
            axes[0].plot(x, _moving_average(y, max(1, len(y) // 25)), color=colour, linewidth=1.5)
        if "val/f_score" in s:
            x, y = np.array(s["val/f_score"]).T
            axes[1].plot(x + 1, y, marker="o", markersize=3, color=colour)
        for key, style in (("weight/lambda", "-"), ("weight/tau", "--")):
            if key in s:
                x, y = np.array(s[key]).T
                axes[2].plot(x + 1, y, style, color=colour)
        handles.append(plt.Line2D([], [], color=colour, label=label))
    axes[0].set(title="training loss (weighted total; moving average)", xlabel="step", yscale="log")
    axes[1].set(title="validation F-score (2 m)", xlabel="epoch", ylim=(0, 1))
    axes[2].set(title="loss weights (solid: lambda, SED; dashed: tau, DOA)", xlabel="epoch")
    for ax in axes:
        ax.grid(alpha=0.3)
    rect = None
    if handles:
        fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 8), fontsize=8, frameon=False)
        rect = (0.0, 0.06 * (1 + (len(handles) - 1) // 8), 1.0, 1.0)
    return _save(plt, fig, out_png, rect)


def plot_timeline(ref_rows: np.ndarray, pred_rows: np.ndarray, n_frames: int, title: str,
                  out_png: str | Path) -> Path:
    """Class activity and x, y, z over time: ground truth (wide grey) under predictions (coloured dots)."""
    plt = _pyplot()
    fig, axes = plt.subplots(4, 1, figsize=(13, 9), sharex=True,
                             gridspec_kw={"height_ratios": [2.2, 1, 1, 1]})
    ref_rows = np.asarray(ref_rows, dtype=float).reshape(-1, 5)
    pred_rows = np.asarray(pred_rows, dtype=float).reshape(-1, 5)
    cmap = plt.get_cmap("tab20")
    t_ref, t_pred = ref_rows[:, 0] * LABEL_HOP_S, pred_rows[:, 0] * LABEL_HOP_S
    axes[0].scatter(t_ref, ref_rows[:, 1], s=60, marker="s", color="0.8", label="ground truth", lw=0)
    axes[0].scatter(t_pred, pred_rows[:, 1], s=8, c=[cmap(int(c) % 20) for c in pred_rows[:, 1]],
                    label="prediction")
    axes[0].set_yticks(range(len(CLASSES)), [c.replace("_", " ")[:28] for c in CLASSES], fontsize=7)
    axes[0].set_ylim(-0.5, len(CLASSES) - 0.5)
    axes[0].legend(loc="upper right", fontsize=8)
    axes[0].set_title(title)
    for k, (ax, name) in enumerate(zip(axes[1:], ("x", "y", "z"))):
        ax.scatter(t_ref, ref_rows[:, 2 + k], s=30, color="0.75", lw=0)
        ax.scatter(t_pred, pred_rows[:, 2 + k], s=6, c=[cmap(int(c) % 20) for c in pred_rows[:, 1]])
        ax.set_ylabel(f"{name} (m)")
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("time (s)")
    axes[-1].set_xlim(0, max(n_frames * LABEL_HOP_S, 1e-3))
    return _save(plt, fig, out_png)


def plot_bars(labels: list[str], means: list[float], spreads: list[float], reference: list[float | None],
              title: str, out_png: str | Path) -> Path:
    """Bar chart of F-scores (ours: mean with spread; the paper's value as a marker)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(labels)), 4))
    x = np.arange(len(labels))
    ax.bar(x, means, yerr=[0 if math.isnan(s) else s for s in spreads], capsize=4, color="tab:blue",
           label="seld (this project)")
    ref_x = [i for i, r in enumerate(reference) if r is not None]
    if ref_x:
        ax.scatter(ref_x, [reference[i] for i in ref_x], color="tab:red", marker="D", zorder=3,
                   label="paper (real L3DAS22)")
    ax.set_xticks(x, labels, rotation=30, ha="right", fontsize=8)
    ax.set(ylabel="F-score (2 m)", ylim=(0, 1), title=title)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    return _save(plt, fig, out_png)
