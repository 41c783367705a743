"""``seld synth``: write a synthetic dataset in the L3DAS22 Task 2 layout or, with a ``dcase*`` preset, in the
DCASE SELD (STARSS23) layout."""

from __future__ import annotations

import argparse

HELP = "generate a synthetic 3D SELD dataset (L3DAS22 Task 2 or DCASE/STARSS23 layout) with FOA room simulation"
DCASE_PREFIX = "dcase"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out_dir", metavar="OUT_DIR",
                        help="output folder (L3DAS22_Task2_{train,dev} or foa_dev/ + metadata_dev/, manifest)")
    parser.add_argument("--preset", default="tiny",
                        help="L3DAS22 layout: tiny | demo | l3das22; DCASE layout: dcase-tiny | dcase-demo | dcase "
                             "(default: tiny)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (same seed -> identical files)")
    parser.add_argument("--train-clips", type=int, help="number of train clips (L3DAS22 splits 0-3; DCASE dev-train)")
    parser.add_argument("--dev-clips", "--test-clips", dest="dev_clips", type=int,
                        help="number of dev clips (L3DAS22 split 4; DCASE dev-test)")
    parser.add_argument("--duration", type=float, help="clip length in seconds")
    parser.add_argument("--grid-spacing", type=float, help="source position grid spacing in metres (L3DAS22 only)")
    parser.add_argument(
        "--sound-bank", metavar="DIR",
        help="real recordings DIR/<class>/*.wav instead of the procedural sounds (L3DAS22 only)",
    )
    parser.add_argument("--subtype", choices=("float", "pcm16"),
                        help="wav sample format (L3DAS22 default float; DCASE is always pcm16)")
    parser.add_argument("--workers", type=int, help="processes (default: min(cpu count, 8))")
    parser.add_argument("--ir-cache", metavar="DIR", help="IR cache folder (default ~/.cache/seld/foa_irs)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing dataset in OUT_DIR")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    common = {"seed": args.seed, "workers": args.workers, "progress": not args.no_progress,
              "overwrite": args.overwrite, "ir_cache": args.ir_cache}
    if args.preset.startswith(DCASE_PREFIX):
        from ..data.synth.dcase_generator import synthesize_dcase
        from ..errors import SeldError

        given = (("--grid-spacing", args.grid_spacing), ("--sound-bank", args.sound_bank))
        unsupported = [flag for flag, value in given if value is not None]
        if args.subtype == "float":
            unsupported.append("--subtype float")
        if unsupported:
            raise SeldError(f"{', '.join(unsupported)}: not available with the DCASE preset {args.preset!r} (its "
                            "positions are a polar grid, its sounds procedural and its wavs int16 as the official "
                            "loader expects)")
        out = synthesize_dcase(args.out_dir, preset=args.preset, train_clips=args.train_clips,
                               test_clips=args.dev_clips, duration=args.duration, **common)
    else:
        from ..data.synth.generator import synthesize

        out = synthesize(
            args.out_dir,
            preset=args.preset,
            train_clips=args.train_clips,
            dev_clips=args.dev_clips,
            duration=args.duration,
            grid_spacing=args.grid_spacing,
            sound_bank=args.sound_bank,
            subtype=args.subtype,
            **common,
        )
    print(out)
    return 0
