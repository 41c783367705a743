"""``seld synth``: write a synthetic dataset in the L3DAS22 Task 2 layout."""

from __future__ import annotations

import argparse

HELP = "generate a synthetic L3DAS22 Task 2 (3D SELD) dataset with FOA room simulation"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out_dir", metavar="OUT_DIR", help="output folder (L3DAS22_Task2_{train,dev}, manifest)")
    parser.add_argument("--preset", default="tiny", help="tiny | demo | l3das22 (default: tiny)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (same seed -> identical files)")
    parser.add_argument("--train-clips", type=int, help="number of train clips (splits 0-3)")
    parser.add_argument("--dev-clips", type=int, help="number of dev clips (split 4)")
    parser.add_argument("--duration", type=float, help="clip length in seconds")
    parser.add_argument("--grid-spacing", type=float, help="source position grid spacing in metres")
    parser.add_argument(
        "--sound-bank", metavar="DIR", help="real recordings DIR/<class>/*.wav instead of the procedural sounds"
    )
    parser.add_argument("--subtype", choices=("float", "pcm16"), help="wav sample format (default float)")
    parser.add_argument("--workers", type=int, help="processes (default: min(cpu count, 8))")
    parser.add_argument("--ir-cache", metavar="DIR", help="IR cache folder (default ~/.cache/seld/foa_irs)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing dataset in OUT_DIR")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from ..data.synth.generator import synthesize

    out = synthesize(
        args.out_dir,
        preset=args.preset,
        seed=args.seed,
        workers=args.workers,
        progress=not args.no_progress,
        overwrite=args.overwrite,
        ir_cache=args.ir_cache,
        train_clips=args.train_clips,
        dev_clips=args.dev_clips,
        duration=args.duration,
        grid_spacing=args.grid_spacing,
        sound_bank=args.sound_bank,
        subtype=args.subtype,
    )
    print(out)
    return 0
