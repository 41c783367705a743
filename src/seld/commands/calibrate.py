"""seld calibrate: choose per-class detection thresholds of a trained checkpoint on a labelled validation split."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

HELP = "choose per-class detection thresholds on the validation split and store them in the checkpoint"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint", help="a checkpoint of seld train (e.g. RUN/checkpoints/best.ckpt); rewritten in place")
    p.add_argument("--data", default=None,
                   help="dataset root whose validation split is used (default: the data.root the model was trained on)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from ..checkpoints import load_model
    from ..datasets import get_dataset
    from ..errors import SeldError
    from ..formats import get_format
    from ..training.calibration import calibrate_checkpoint, describe
    from ..training.data import load_clips
    from ..utils.folder_lock import folder_lock

    model, cfg = load_model(args.checkpoint)
    root = args.data or cfg.data.root
    if not root:
        raise SeldError("the checkpoint names no dataset; give --data ROOT")
    dataset = get_dataset(cfg.data.format)
    refs = dataset.validation_clips(root, cfg.data.mics, cfg.data.val_folder)
    clips = load_clips(dataset, refs, cfg.data.mics, get_format(model.output_format), cfg.data.max_val_clips,
                       desc="loading validation clips", foa_format=cfg.data.foa_format)
    folder = Path(args.checkpoint).resolve().parent
    if folder.name == "checkpoints":  # a run folder: the lock seld train holds
        folder = folder.parent
    with folder_lock(folder, "calibrate"):
        cal = calibrate_checkpoint(args.checkpoint, clips, show_progress=not args.no_progress)
    if args.json:
        print(json.dumps({"checkpoint": str(args.checkpoint), "classes": list(dataset.classes), **cal.to_dict()}))
    else:
        print(describe(cal, dataset.classes))
        print(f"stored in {args.checkpoint}; seld predict uses them (--thresholds calibrated, the default)")
    return 0
