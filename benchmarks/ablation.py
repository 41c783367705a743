"""The augmentation / calibrated-threshold ablation of docs/results.md, as plain seld commands.

Each training run is ``seld train``; its best checkpoint is scored on the dev split twice, at the paper's fixed
threshold (``seld predict --thresholds 0.5``) and at per-class thresholds chosen on that split
(``seld calibrate`` + ``--thresholds calibrated``), optionally also on fresh seeds of the ``demo`` preset
(``--fresh``), where the thresholds were not chosen. Every command is printed before it runs, so a row can be
rerun by hand. Finished runs are reused (delete a run folder to redo it).

    python benchmarks/ablation.py --out ablation --seeds 0 1 2 [--systems paper aug baseline] [--fresh 101 102]
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import shlex
import statistics
import subprocess
import sys
from pathlib import Path

SYSTEMS: dict[str, tuple[str, str, list[str]]] = {
    # key: (label, config, overrides)
    "paper": ("paper's recipe (demo scale)", "demo_plus", ["train.foa_augment=none"]),
    "aug": ("+ FOA augmentation (acs_rotate)", "demo_plus", []),
    "baseline": ("SELDnet, tuned recipe", "seldnet_demo", []),
}
ROWS = [  # (label, system, thresholds)
    ("paper's recipe", "paper", "0.5"),
    ("+ augmentation", "aug", "0.5"),
    ("+ calibrated thresholds", "paper", "calibrated"),
    ("+ both (seld demo)", "aug", "calibrated"),
    ("SELDnet, tuned recipe", "baseline", "0.5"),
    ("SELDnet, tuned recipe + calibrated thresholds", "baseline", "calibrated"),
]


def sh(cmd: list[str], log: Path | None = None) -> str:
    print("$ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    if log is not None:
        log.write_text(out.stdout + out.stderr)
    return out.stdout


def run_log(run: Path) -> tuple[float, float]:
    """(best validation F at the fixed threshold, seconds of training + validation) from the run's metric log."""
    with open(run / "logs" / "metrics.csv") as fh:
        rows = list(csv.DictReader(fh))
    best = max((float(r["val/f_score"]) for r in rows if r.get("val/f_score")), default=0.0)
    seconds = sum(float(r[k]) for r in rows for k in ("time/train_epoch_s", "time/val_s") if r.get(k))
    return best, seconds


def evaluated_checkpoint(run: Path) -> Path:
    """The checkpoint seld demo and seld experiment evaluate: the best on validation, or the last one when
    validation never scored above 0 (then best.ckpt would be the untrained first epoch)."""
    best, _ = run_log(run)
    return run / "checkpoints" / ("best.ckpt" if best > 0 else "last.ckpt")


def score(ckpt: Path, split: Path, pred: Path, thresholds: str) -> dict:
    sh(["seld", "predict", str(ckpt), str(split), "--out", str(pred), "--thresholds", thresholds])
    return json.loads(sh(["seld", "evaluate", str(pred), str(split), "--json"]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--data", type=Path, default=None, help="demo-preset data (default: OUT/data, seed 0)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--systems", nargs="+", default=list(SYSTEMS), choices=list(SYSTEMS))
    ap.add_argument("--fresh", type=int, nargs="*", default=[], help="also score on these fresh demo-preset seeds")
    args = ap.parse_args()
    out: Path = args.out
    data = args.data or out / "data"
    if not (data / "manifest.json").exists():
        sh(["seld", "synth", str(data), "--preset", "demo", "--seed", "0", "--no-progress"])
    dev = data / "L3DAS22_Task2_dev"
    results_path = out / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    for system in args.systems:
        _, config, sets = SYSTEMS[system]
        for seed in args.seeds:
            key = f"{system}/seed{seed}"
            run = out / system / f"seed{seed}"
            if key in results and all(f"fresh{s}_0.5" in results[key] for s in args.fresh):
                continue
            if not (run / "checkpoints" / "last.ckpt").exists():
                sh(["seld", "train", "--config", config, "--data", str(data), "--out", str(run), "--no-progress",
                    "--set", f"train.seed={seed}", "train.calibrate_thresholds=false", *sets],
                   log=out / f"{system}_{seed}.log")
            ckpt = evaluated_checkpoint(run)
            sh(["seld", "calibrate", str(ckpt), "--data", str(data), "--no-progress"])
            best_val, seconds = run_log(run)
            entry = {"train_s": round(seconds, 1), "checkpoint": ckpt.name, "best_val_f": best_val}
            for thr in ("0.5", "calibrated"):
                entry[thr] = score(ckpt, dev, run / f"pred_{thr}", thr)["f_score"]
                for s in args.fresh:
                    fresh = out / f"fresh{s}"
                    if not (fresh / "manifest.json").exists():
                        sh(["seld", "synth", str(fresh), "--preset", "demo", "--seed", str(s), "--no-progress"])
                    entry[f"fresh{s}_{thr}"] = score(ckpt, fresh / "L3DAS22_Task2_dev", run / f"pred_fresh{s}_{thr}",
                                                     thr)["f_score"]
            results[key] = entry
            results_path.write_text(json.dumps(results, indent=1))
    lines = ["| row | dev F (mean ± std) | per seed | fresh-seed F (mean) |", "|---|---:|---|---:|"]
    for label, system, thr in ROWS:
        vals = [results[f"{system}/seed{s}"][thr] for s in args.seeds if f"{system}/seed{s}" in results]
        if not vals:
            continue
        fresh = [v for s in args.seeds for k, v in results.get(f"{system}/seed{s}", {}).items()
                 if k.startswith("fresh") and k.endswith(f"_{thr}")]
        spread = f" ± {statistics.stdev(vals):.3f}" if len(vals) > 1 else ""
        lines.append(f"| {label} | {statistics.mean(vals):.3f}{spread} | {', '.join(f'{v:.3f}' for v in vals)} | "
                     f"{statistics.mean(fresh):.3f} |" if fresh else
                     f"| {label} | {statistics.mean(vals):.3f}{spread} | {', '.join(f'{v:.3f}' for v in vals)} | — |")
    table = "\n".join(lines)
    (out / "table.md").write_text(f"{table}\n\nmachine: {platform.machine()}, python {sys.version.split()[0]}\n")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
