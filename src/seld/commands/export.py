"""``seld export``: a checkpoint -> ONNX model (waveform in, ``sed`` logits and ``doa`` out), checked with ORT."""

from __future__ import annotations

import argparse
import json

HELP = "export a checkpoint to ONNX (raw waveform in -> sed logits, doa out) and check it against torch"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint", metavar="CHECKPOINT", help="a seld checkpoint (RUN/checkpoints/best.ckpt)")
    p.add_argument("--out", required=True, help="the .onnx file to write")
    p.add_argument(
        "--seconds",
        type=float,
        default=30.0,
        help="input length the graph is exported for, in seconds (default 30, the inference window)",
    )
    p.add_argument("--opset", type=int, default=17, help="ONNX opset (default 17)")
    p.add_argument("--tolerance", type=float, default=1e-3,
                   help="largest accepted difference to torch, relative to each output's magnitude (default 1e-3)")
    p.add_argument("--no-check", action="store_true", help="skip the ONNX Runtime comparison")
    p.add_argument("--threads", type=int, default=0, help="ONNX Runtime threads for the check (default: its own)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    from ..checkpoints import load_model
    from ..errors import SeldError
    from ..inference.onnx_export import export_onnx, require_onnx, validate_onnx

    require_onnx(runtime=not args.no_check)
    if args.seconds <= 0:
        raise SeldError(f"--seconds must be positive, got {args.seconds}")
    model, cfg = load_model(args.checkpoint, "cpu")
    path = export_onnx(model, args.out, seconds=args.seconds, opset=args.opset)
    report: dict[str, object] = {"onnx": str(path), "model": cfg.model.name, "mics": cfg.data.mics,
                                 "seconds": args.seconds, "opset": args.opset}
    if not args.no_check:
        check = validate_onnx(model, path, seconds=args.seconds, threads=args.threads or None)
        report.update(check)
        report["ok"] = check["max_rel_diff"] <= args.tolerance
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"wrote {path} ({cfg.model.name}, input (1, {4 * cfg.data.mics}, {args.seconds:g} s at 32 kHz))")
        if not args.no_check:
            print(f"ONNX Runtime vs torch: max abs diff sed {report['max_abs_diff_sed']:.2e}, "
                  f"doa {report['max_abs_diff_doa']:.2e}; max relative {report['max_rel_diff']:.2e}")
    if not args.no_check and not report["ok"]:
        raise SeldError(f"ONNX Runtime output differs from torch by {report['max_rel_diff']:.2e} "
                        f"(relative), above --tolerance {args.tolerance:g}", path)
    return 0
