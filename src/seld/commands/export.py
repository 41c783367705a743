"""``seld export``: a checkpoint -> ONNX model (waveform in, ``sed`` logits and ``doa`` out), checked with ORT."""

from __future__ import annotations

import argparse
import json

HELP = ("export a checkpoint to ONNX (raw waveform in -> sed logits, doa out; or --stream: 100 ms blocks) "
        "and check it against torch")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint", metavar="CHECKPOINT",
                   help="a seld checkpoint (RUN/checkpoints/best.ckpt, or 'pretrained')")
    p.add_argument("--out", required=True, help="the .onnx file to write (with --stream: a folder)")
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
    p.add_argument("--stream", action="store_true",
                   help="write the streaming graphs instead (--out is then a folder: frontend.onnx, cnn.onnx, "
                        "temporal.onnx, stream.json): audio of any length, 100 ms blocks, numpy + onnxruntime only")
    p.add_argument("--context", type=float, default=2.0, help="--stream: seconds of attention context (default 2)")
    p.add_argument("--cnn-window", type=float, default=1.2,
                   help="--stream: seconds the CNN is recomputed over per block (default 1.2)")
    p.add_argument("--lookahead", type=float, default=0.4, help="--stream: seconds of look-ahead (default 0.4)")


def run(args: argparse.Namespace) -> int:
    from ..checkpoints import load_model
    from ..errors import SeldError
    from ..inference.onnx_export import export_onnx, require_onnx, validate_onnx

    require_onnx(runtime=not args.no_check)
    if args.seconds <= 0:
        raise SeldError(f"--seconds must be positive, got {args.seconds}")
    from ..pretrained import resolve_checkpoint

    model, cfg = load_model(resolve_checkpoint(args.checkpoint), "cpu")
    if args.stream:
        return _run_stream(args, model, cfg)
    path = export_onnx(model, args.out, seconds=args.seconds, opset=args.opset)
    report: dict[str, object] = {"onnx": str(path), "model": cfg.model.name, "mics": cfg.data.mics,
                                 "seconds": args.seconds, "opset": args.opset}
    if not args.no_check:
        check = validate_onnx(model, path, seconds=args.seconds, threads=args.threads or None)
        report.update(check)
        report["ok"] = check["max_rel_diff"] <= args.tolerance
    lines = [f"wrote {path} ({cfg.model.name}, input (1, {4 * cfg.data.mics}, {args.seconds:g} s at 32 kHz))"]
    if not args.no_check:
        lines.append(f"ONNX Runtime vs torch: max abs diff sed {report['max_abs_diff_sed']:.2e}, "
                     f"doa {report['max_abs_diff_doa']:.2e}; max relative {report['max_rel_diff']:.2e}")
    return _report(args, report, lines, "ONNX Runtime output", path)


def _report(args: argparse.Namespace, report: dict, lines: list[str], what: str, target: object) -> int:
    """Print the export report (JSON or ``lines``); a failed check against torch is a one-line error."""
    from ..errors import SeldError

    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print("\n".join(lines))
    if not args.no_check and not report["ok"]:
        raise SeldError(f"{what} differs from torch by {report['max_rel_diff']:.2e} (relative), above "
                        f"--tolerance {args.tolerance:g}", target)
    return 0


def _run_stream(args: argparse.Namespace, model: object, cfg: object) -> int:
    from ..errors import SeldError
    from ..inference.stream import StreamOptions
    from ..inference.stream.onnx import export_stream, validate_stream

    frames = round(args.lookahead / 0.1)
    if args.lookahead < 0 or abs(frames * 0.1 - args.lookahead) > 1e-6:
        raise SeldError(f"--lookahead must be a non-negative multiple of 0.1 s, got {args.lookahead}")
    options = StreamOptions(context=args.context, cnn_window=args.cnn_window, lookahead=int(frames))
    options.check()
    folder = export_stream(model, args.out, options.context_frames, options.cnn_frames, options.lookahead,
                           threshold=cfg.train.sed_threshold, opset=args.opset)
    report: dict[str, object] = {"folder": str(folder), "model": cfg.model.name, "mics": cfg.data.mics,
                                 "context_frames": options.context_frames, "cnn_frames": options.cnn_frames,
                                 "lookahead": options.lookahead, "latency_s": options.latency_s, "opset": args.opset}
    if not args.no_check:
        check = validate_stream(model, folder, threads=args.threads or None)
        report.update(check)
        report["ok"] = check["max_rel_diff"] <= args.tolerance
    lines = [f"wrote {folder}/{{frontend,cnn,temporal}}.onnx and stream.json ({cfg.model.name}; blocks of 100 ms, "
             f"context {options.context:g} s, look-ahead {options.lookahead} frame(s))"]
    if not args.no_check:
        lines.append(f"ONNX Runtime stream vs torch stream (3 s random clip): max relative difference "
                     f"{report['max_rel_diff']:.2e}")
    return _report(args, report, lines, "the ONNX Runtime stream", folder)
