"""Report folder of a run: metrics.json, a results table, training curves and a timeline plot."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import soundfile as sf

from ..constants import LABEL_HOP_S
from ..data import l3das22
from ..io_utils import write_json_atomic, write_text_atomic
from .plots import plot_timeline, plot_training_curves


@dataclass
class SystemResult:
    label: str
    config: str
    run_dir: Path
    pred_dir: Path
    metrics: dict[str, Any]
    train_seconds: float
    params: int
    thresholds: dict[str, Any] | None = None
    """Calibrated per-class thresholds the predictions used (``values``, ``classes``, ``f_default``,
    ``f_calibrated``), or None for the fixed threshold."""


def thresholds_section(results: list[SystemResult]) -> str:
    """Markdown: the per-class detection thresholds each system decoded with."""
    out = []
    for r in results:
        t = r.thresholds
        if not t:
            continue
        out.append(f"\n## Detection thresholds: {r.label}\n\nPer class, chosen on the validation split after training "
                   f"(`seld calibrate`; validation F {t['f_default']:.3f} at the fixed {t['default']:g} -> "
                   f"{t['f_calibrated']:.3f}; the split is also the one scored above, so read the gain on fresh data)."
                   "\n\n| class | threshold |\n|---|---:|")
        out += [f"| {name} | {v:.2f} |" for name, v in zip(t["classes"], t["values"], strict=True)]
    return "\n".join(out) + ("\n" if out else "")


def _threshold_label(r: SystemResult) -> str:
    return "calibrated" if r.thresholds else "0.5"


def results_table(results: list[SystemResult]) -> str:
    lines = [
        "| system | config | parameters | train time (s) | thresholds | F (2 m) | precision | recall | TP | FP | FN |",
        "|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        m = r.metrics
        lines.append(
            f"| {r.label} | {r.config} | {r.params:,} | {r.train_seconds:.0f} | {_threshold_label(r)} | "
            f"{m['f_score']:.3f} | "
            f"{m['precision']:.3f} | {m['recall']:.3f} | {m['tp']} | {m['fp']} | {m['fn']} |"
        )
    return "\n".join(lines) + "\n"


def pick_timeline_clip(split_dir: Path) -> l3das22.Clip:
    """A clip with overlaps to show (the first ov2 clip, else the first clip)."""
    clips = l3das22.find_clips(split_dir, require_labels=True)
    return next((c for c in clips if c.ov == 2), clips[0])


def write_report(results: list[SystemResult], split_dir: Path, out_dir: Path, extra: dict[str, Any]) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    main = results[0]
    summary = {
        "f_score": main.metrics["f_score"],
        "precision": main.metrics["precision"],
        "recall": main.metrics["recall"],
        "system": main.label,
        "systems": {r.label: {"config": r.config, "params": r.params, "train_seconds": r.train_seconds,
                              "thresholds": r.thresholds, **r.metrics} for r in results},
        **extra,
    }
    write_json_atomic(out_dir / "metrics.json", summary)
    table = results_table(results) + thresholds_section(results)
    write_text_atomic(out_dir / "results.md", "# seld demo results (dev split, F at 2 m)\n\n" + table)
    plot_training_curves({r.label: r.run_dir for r in results}, out_dir / "training_curves.png")
    clip = pick_timeline_clip(split_dir)
    assert clip.label is not None
    info = sf.info(str(clip.audio_a))
    n_frames = int(round(info.frames / info.samplerate / LABEL_HOP_S))
    ref = l3das22.reference_rows(clip.label, duration=n_frames * LABEL_HOP_S)
    for r in results:
        pred_path = r.pred_dir / f"label_{clip.name}.csv"
        pred = l3das22.read_prediction_csv(pred_path, n_frames) if pred_path.exists() else ref[:0]
        slug = r.label.lower().replace(" ", "_")
        plot_timeline(ref, pred, n_frames, f"{clip.name}: {r.label} (grey: ground truth)",
                      out_dir / f"timeline_{slug}.png")
    return out_dir


def write_dcase_report(results: list[SystemResult], out_dir: Path, extra: dict[str, Any]) -> Path:
    """Report of a DCASE run: metrics.json (the official 2024 metrics), results.md and the training curves."""
    out_dir.mkdir(parents=True, exist_ok=True)
    keys = ("f_score", "doa_error", "rde", "distance_error", "localization_recall", "error_rate", "seld_score")
    main = results[0]
    summary = {**{k: main.metrics.get(k) for k in keys}, "metric": "DCASE 2024 (frame-level, macro)",
               "system": main.label,
               "systems": {r.label: {"config": r.config, "params": r.params, "train_seconds": r.train_seconds,
                                     "thresholds": r.thresholds, **r.metrics} for r in results},
               **extra}
    write_json_atomic(out_dir / "metrics.json", summary)

    def cell(v: Any, pct: bool) -> str:
        return "n/a" if v is None else (f"{100 * v:.1f}" if pct else f"{v:.2f}")

    lines = ["| system | config | parameters | train time (s) | F20 (%) | DOAE (deg) | RDE | SELD score |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        m = r.metrics
        lines.append(f"| {r.label} | {r.config} | {r.params:,} | {r.train_seconds:.0f} "
                     f"| {cell(m.get('f_score'), True)} | {cell(m.get('doa_error'), False)} "
                     f"| {cell(m.get('rde'), False)} | {cell(m.get('seld_score'), False)} |")
    write_text_atomic(out_dir / "results.md", "# seld demo results (DCASE format, test split, official 2024 "
                      "metrics, macro)\n\n" + "\n".join(lines) + "\n" + thresholds_section(results))
    plot_training_curves({r.label: r.run_dir for r in results}, out_dir / "training_curves.png")
    return out_dir
