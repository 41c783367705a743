"""seld demo: the main job. Synthesise data, train on the CPU, predict, evaluate, write a report."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

HELP = "end to end on synthetic data: synth -> train -> predict -> evaluate -> report (CPU, minutes)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="seld_demo", help="work folder (default ./seld_demo)")
    p.add_argument("--format", choices=("l3das22", "dcase"), default="l3das22",
                   help="dataset format: l3das22 (default) or dcase (synthetic DCASE data, the paper's network with "
                        "3-track PIT, the official DCASE 2024 metrics; preset dcase-demo, config dcase_demo)")
    p.add_argument("--config", default=None,
                   help="config of the proposed system (default: demo_plus = the paper's network at demo scale + FOA "
                        "augmentation + calibrated thresholds; demo = the paper's recipe as is; dcase_demo for DCASE)")
    p.add_argument("--baseline", action="store_true",
                   help="also train the SELDnet baseline on the same data, with its recipe tuned for this budget "
                        "(seldnet_demo: the learning rate chosen by a sweep on the validation split, docs/results.md)")
    p.add_argument("--preset", default=None, help="synthetic data preset (default: demo, or dcase-demo)")
    p.add_argument("--seed", type=int, default=0, help="data and training seed")
    p.add_argument("--epochs", type=int, help="override train.max_epochs")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="config overrides")
    p.add_argument("--workers", type=int, default=None, help="processes for data synthesis")
    p.add_argument("--no-progress", action="store_true")


def _train_predict_evaluate(label: str, config: str, args: argparse.Namespace, data_dir: Path, out: Path,
                            extra_sets: tuple[str, ...] = ()):
    from ..config import load_config
    from ..pipeline import (
        calibrated_thresholds,
        evaluate_checkpoints,
        evaluated_checkpoint,
        parameter_count,
        run_overrides,
        train_run,
    )
    from ..reporting.report import SystemResult

    cfg = load_config(config, run_overrides([*extra_sets, *args.set], data=data_dir, seed=args.seed,
                                            epochs=args.epochs))
    run_dir = out / f"run_{cfg.name}"
    print(f"[{label}] training {cfg.name} ({cfg.train.max_epochs} epochs) -> {run_dir}", flush=True)
    trained = train_run(cfg, run_dir, progress_bar=not args.no_progress)
    ckpt = run_dir / evaluated_checkpoint(trained.to_dict())
    pred_dir = out / f"predictions_{cfg.name}"
    print(f"[{label}] predicting the dev split with {ckpt}", flush=True)
    metrics = evaluate_checkpoints([ckpt], data_dir, pred_dir, show_progress=not args.no_progress,
                                   data_format=cfg.data.format)
    what = "F20 (DCASE 2024, macro)" if cfg.data.format == "dcase" else "F-score (2 m)"
    thresholds = calibrated_thresholds(ckpt)
    used = "calibrated per-class thresholds" if thresholds else f"the fixed threshold {cfg.train.sed_threshold:g}"
    print(f"[{label}] dev {what} = {metrics['f_score']:.3f} ({used})", flush=True)
    return SystemResult(label, cfg.name, run_dir, pred_dir, metrics, trained.train_seconds, parameter_count(cfg),
                        thresholds)


def run(args: argparse.Namespace) -> int:
    from ..data import l3das22
    from ..data.synth.dcase_generator import synthesize_dcase
    from ..data.synth.generator import synthesize
    from ..reporting.report import write_dcase_report, write_report

    dcase = args.format == "dcase"
    args.config = args.config or ("dcase_demo" if dcase else "demo_plus")
    args.preset = args.preset or ("dcase-demo" if dcase else "demo")
    if dcase and args.baseline:
        from ..errors import SeldError

        raise SeldError("--baseline (SELDnet) is an L3DAS22 system; leave it out with --format dcase")
    t_start = time.perf_counter()
    out = Path(args.out)
    data_dir = out / "data"
    manifest = data_dir / "manifest.json"
    if manifest.exists() and _same_data(manifest, args.preset, args.seed):
        print(f"reusing synthetic data in {data_dir}")
        synth_s = 0.0
    else:
        print(f"synthesising the '{args.preset}' preset into {data_dir} ...", flush=True)
        t0 = time.perf_counter()
        make = synthesize_dcase if args.preset.startswith("dcase") else synthesize
        make(data_dir, preset=args.preset, seed=args.seed, workers=args.workers, progress=not args.no_progress,
             overwrite=True)
        synth_s = time.perf_counter() - t0
    results = [_train_predict_evaluate("proposed", args.config, args, data_dir, out)]
    if args.baseline:
        calibrated = results[0].thresholds is not None  # decoded like the main system: calibrated or fixed
        print("[SELDnet baseline] the tuned recipe (seldnet_demo.yaml: learning rate chosen by a sweep on the "
              "validation split at this budget, see docs/results.md), not the official one"
              + ("; thresholds calibrated like the proposed system's" if calibrated else ""), flush=True)
        results.append(_train_predict_evaluate("SELDnet baseline", "seldnet_demo", args, data_dir, out,
                                               (f"train.calibrate_thresholds={str(calibrated).lower()}",)))
    total_s = time.perf_counter() - t_start
    extra = {"synth_seconds": round(synth_s, 1), "total_seconds": round(total_s, 1), "preset": args.preset,
             "seed": args.seed}
    if dcase:
        report = write_dcase_report(results, out / "report", extra)
        print(f"\n{(report / 'results.md').read_text()}")
        print(f"total time {total_s / 60:.1f} min; report: {report.resolve()}")
        return 0
    report = write_report(results, l3das22.resolve_split_dir(data_dir, "dev"), out / "report",
                          {"synth_seconds": round(synth_s, 1), "total_seconds": round(total_s, 1),
                           "preset": args.preset, "seed": args.seed})
    print(f"\n{(report / 'results.md').read_text()}")
    print(f"total time {total_s / 60:.1f} min; report: {report.resolve()}")
    return 0


def _same_data(manifest: Path, preset: str, seed: int) -> bool:
    try:
        m = json.loads(manifest.read_text())
    except (OSError, json.JSONDecodeError):
        return False
    return m.get("preset") == preset and m.get("seed") == seed
