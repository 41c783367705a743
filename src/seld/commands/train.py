"""seld train: train a config into a run folder (Lightning: checkpoints, early stopping, logs, DDP)."""

from __future__ import annotations

import argparse

HELP = "train a model from a config (configs/*.yaml) into a run folder"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", required=True, help="YAML config, e.g. configs/paper.yaml")
    p.add_argument("--data", help="dataset root holding L3DAS22_Task2_train/_dev (sets data.root)")
    p.add_argument("--out", required=True, help="run folder (checkpoints, logs, config, feature stats)")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="config overrides, e.g. train.lr=1e-3")
    p.add_argument("--resume", action="store_true", help="continue exactly from OUT/checkpoints/last.ckpt")
    p.add_argument("--devices", help="Lightning devices (e.g. 1, 4, 0,1): sets train.devices")
    p.add_argument("--num-nodes", type=int, help="number of nodes for DDP: sets train.num_nodes")
    p.add_argument("--epochs", type=int, help="sets train.max_epochs")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def config_overrides(args: argparse.Namespace) -> list[str]:
    from ..pipeline import run_overrides

    sets = run_overrides(args.set, data=getattr(args, "data", None) or None, epochs=getattr(args, "epochs", None))
    if getattr(args, "devices", None):
        sets.append(f"train.devices='{args.devices}'")
        if args.devices not in ("1", "auto"):
            sets.append("train.strategy=ddp")
    if getattr(args, "num_nodes", None):
        sets.append(f"train.num_nodes={args.num_nodes}")
    return sets


def run(args: argparse.Namespace) -> int:
    from ..config import load_config
    from ..training.trainer import train

    cfg = load_config(args.config, config_overrides(args))
    result = train(cfg, args.out, resume=args.resume, progress_bar=not args.no_progress)
    score = "n/a" if result.best_f_score is None else f"{result.best_f_score:.4f}"
    print(f"trained {result.epochs} epochs; best validation F = {score} (the dataset format's metric)")
    print(f"best checkpoint: {result.best_checkpoint}")
    return 0
