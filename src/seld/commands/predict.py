"""seld predict: run one model or a posterior ensemble on wav files or split folders."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "predict submission CSVs (frame,class,x,y,z) for wav files or L3DAS22 split folders"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="checkpoint(s) (*.ckpt) followed by inputs: wav files or split folders")
    p.add_argument("--out", required=True, help="output folder for label_<clip>.csv files")
    p.add_argument("--json", action="store_true", help="also write <clip>.events.json (onset, offset, class, position)")
    p.add_argument("--window", type=float, default=30.0, help="inference window in seconds (default 30)")
    p.add_argument("--hop", type=float, default=None, help="window hop in seconds (default half a window)")
    p.add_argument("--thresholds", "--threshold", dest="thresholds", default=None, metavar="calibrated|P",
                   help="detection threshold(s): 'calibrated' (the per-class values seld calibrate stored in the "
                        "checkpoint) or one probability for every class, e.g. 0.5; default: calibrated when the "
                        "checkpoint holds them, else the model's fixed threshold (0.5, the paper's)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 ...")
    p.add_argument("--precision", choices=("fp32", "bf16"), default="fp32",
                   help="bf16: bfloat16 autocast + channels-last, 1.2-2x faster for the paper model on CPUs "
                        "with AVX512-BF16 (slower for the small demo model); posteriors differ slightly "
                        "(default fp32)")
    p.add_argument("--foa-format", choices=("acn_sn3d", "fuma"), default=None,
                   help="FOA convention of the input files: acn_sn3d (W, Y, Z, X; SN3D, as L3DAS22 and seld synth) "
                        "or fuma (W, X, Y, Z, W at -3 dB); default: the one the model was trained with")
    p.add_argument("--backend", choices=("torch", "onnxruntime"), default="torch",
                   help="onnxruntime: export to ONNX and run with ONNX Runtime on the CPU (needs seld[onnx]; "
                        "2.3x faster for the paper model on 2 cores; one export per input length)")


def run(args: argparse.Namespace) -> int:
    from ..errors import SeldError
    from ..inference.predict import predict
    from ..inference.thresholds import parse_threshold_spec
    from ..pretrained import resolve_checkpoint

    ckpts = [p for p in args.paths if p.endswith(".ckpt") or p == "pretrained"]
    inputs = [p for p in args.paths if p not in ckpts]
    if not ckpts:
        raise SeldError("give at least one checkpoint (*.ckpt, or 'pretrained' for the shipped demo model)")
    if not inputs:
        raise SeldError("give at least one input wav file or split folder after the checkpoint(s)")
    if not args.window > 0 or (args.hop is not None and not args.hop > 0):
        raise SeldError(f"--window and --hop must be positive seconds, got {args.window} and {args.hop}")
    thresholds = parse_threshold_spec(args.thresholds)
    written = predict([resolve_checkpoint(c) for c in ckpts], inputs, args.out, json_events=args.json,
                      window_s=args.window, hop_s=args.hop, threshold=thresholds, device=args.device,
                      precision=args.precision, backend=args.backend, foa_format=args.foa_format)
    print(f"wrote {len(written)} prediction file(s) to {Path(args.out)}")
    return 0
