"""``seld stream``: localize and detect continuously, one JSON line per 100 ms frame (or onset/offset lines)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import time
from typing import Any

HELP = "stream a wav file or raw PCM on standard input through a model: one JSON line per 100 ms frame"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="CKPT [CKPT ...] [INPUT]: checkpoint(s) (*.ckpt, or 'pretrained'; several = an ensemble), "
                        "then the input: a wav file, or '-' / nothing for raw interleaved PCM on standard input")
    p.add_argument("--format", choices=("f32", "s16"), default="f32", dest="pcm_format",
                   help="PCM sample format on standard input: f32 (little-endian float) or s16 (default f32)")
    p.add_argument("--rate", type=int, default=32000,
                   help="PCM sampling rate in Hz (default 32000; other rates are resampled, with a warning)")
    p.add_argument("--channels", type=int, default=None,
                   help="PCM channels (default: what the model takes, 4 per microphone); another number is an error")
    p.add_argument("--realtime", action="store_true",
                   help="read a wav file at real-time pace (default: as fast as possible)")
    p.add_argument("--events", action="store_true",
                   help="write event onset/offset lines instead of one line per frame")
    p.add_argument("--context", type=float, default=2.0,
                   help="seconds of context the temporal attention sees (default 2)")
    p.add_argument("--lookahead", type=float, default=0.4,
                   help="seconds of look-ahead before a frame is emitted, a multiple of 0.1 (default 0.4); "
                        "algorithmic latency = 0.1 s + look-ahead")
    p.add_argument("--cnn-window", type=float, default=1.2,
                   help="seconds of cached features the CNN is recomputed over per block (default 1.2)")
    p.add_argument("--thresholds", "--threshold", dest="thresholds", default=None, metavar="calibrated|P",
                   help="detection threshold(s), as seld predict takes them (default: calibrated when the checkpoint "
                        "holds them, else the model's 0.5)")
    p.add_argument("--backend", choices=("torch", "onnxruntime"), default="torch",
                   help="onnxruntime: export the stream's stages to ONNX and run them with ONNX Runtime")
    p.add_argument("--threads", type=int, default=0,
                   help="CPU threads (default: torch's / ONNX Runtime's own; 1 is steadier on a busy machine)")
    p.add_argument("--foa-format", choices=("acn_sn3d", "fuma"), default=None,
                   help="FOA convention of the input (default: the one the model was trained with)")
    p.add_argument("--out", default="-", help="file for the JSON lines (default: standard output)")
    p.add_argument("--quiet", action="store_true",
                   help="no header and summary lines on standard error (warnings and errors still appear)")


class _Stop(Exception):
    """Raised by the signal handler while the loop waits for input."""


def _split_paths(paths: list[str]) -> tuple[list[str], str | None]:
    from ..errors import SeldError

    ckpts = [paths[0]]
    rest = paths[1:]
    while rest and (rest[0].endswith(".ckpt") or rest[0] == "pretrained"):
        ckpts.append(rest.pop(0))
    if len(rest) > 1:
        raise SeldError(f"give one input (a wav file, or '-' for standard input), got {len(rest)}: {' '.join(rest)}")
    return ckpts, (rest[0] if rest and rest[0] != "-" else None)


def _lookahead_frames(seconds: float) -> int:
    from ..errors import SeldError

    frames = round(seconds / 0.1)
    if seconds < 0 or abs(frames * 0.1 - seconds) > 1e-6:
        raise SeldError(f"--lookahead must be a non-negative multiple of 0.1 s, got {seconds}")
    return int(frames)


def run(args: argparse.Namespace) -> int:
    import warnings

    import torch

    from ..data.audio import audio_info
    from ..errors import DataError, SeldError
    from ..inference.predict import collect_inputs
    from ..inference.stream import EventLinker, StreamOptions, frame_record, open_stream, row_confidences
    from ..inference.stream.sources import PcmReader, wav_pair_blocks
    from ..inference.thresholds import parse_threshold_spec
    from ..pretrained import resolve_checkpoint

    ckpts, input_path = _split_paths(args.paths)
    thresholds = parse_threshold_spec(args.thresholds)
    if args.context <= 0 or args.cnn_window <= 0:
        raise SeldError(f"--context and --cnn-window must be positive seconds, got {args.context} and "
                        f"{args.cnn_window}")
    options = StreamOptions(context=args.context, cnn_window=args.cnn_window,
                            lookahead=_lookahead_frames(args.lookahead))
    if args.threads:
        torch.set_num_threads(args.threads)
    engine, cfg = open_stream([str(resolve_checkpoint(c)) for c in ckpts], options, args.backend, thresholds,
                              args.threads or None)
    channels = engine.in_channels
    foa = args.foa_format or cfg.data.foa_format
    if input_path is None:
        if args.realtime:
            raise SeldError("--realtime paces a wav file; standard input arrives at its own pace")
        if args.channels is not None and args.channels != channels:
            raise DataError(f"the model takes {channels} channels (4 per microphone), --channels {args.channels} given",
                            "<stdin>")
        source: Any = PcmReader(sys.stdin.buffer, channels, args.pcm_format, args.rate, foa)
        name = "<stdin>"
    else:
        (item,) = collect_inputs([input_path], cfg.data.mics)
        for path in (item.audio_a, item.audio_b):
            if path is not None:
                audio_info(path, channels=4)
        source = wav_pair_blocks(item.audio_a, item.audio_b, foa_format=foa, block=3200)
        name = input_path
    out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")  # noqa: SIM115
    fmt = engine.format
    linker = EventLinker() if args.events else None
    state: dict[str, Any] = {"signal": None, "waiting": False}

    def on_signal(signum: int, _frame: Any) -> None:
        state["signal"] = signum
        signal.signal(signum, signal.SIG_DFL if signum == signal.SIGTERM else signal.default_int_handler)
        if state["waiting"]:
            raise _Stop

    def write(frames: list[Any]) -> None:
        for f in frames:
            conf = row_confidences(fmt, f.posteriors, f.rows, engine.threshold) if len(f.rows) else []
            records = linker.update(f.index, f.rows, conf) if linker else [frame_record(f.index, f.rows, conf)]
            for r in records:
                out.write(json.dumps(r) + "\n")
        out.flush()

    saved = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    latency_ms = options.latency_s * 1e3
    if not args.quiet:
        print(f"seld stream: {name} -> {'events' if linker else 'frames'}; {len(ckpts)} model(s), {args.backend}, "
              f"{'block-wise stages' if engine.block_wise else 'whole model per block'}; context "
              f"{options.context:g} s, look-ahead {options.lookahead} frame(s): algorithmic latency "
              f"{latency_ms:.0f} ms", file=sys.stderr)
    t0 = time.perf_counter()
    received = 0
    broken = False
    try:
        chunks = iter(source)
        while state["signal"] is None:
            state["waiting"] = True
            try:
                chunk = next(chunks)
                if args.realtime:
                    delay = t0 + (received + chunk.shape[1]) / 32000 - time.perf_counter()
                    if delay > 0:
                        time.sleep(delay)
            except (StopIteration, _Stop):
                break
            finally:
                state["waiting"] = False
            received += chunk.shape[1]
            write(engine.push(chunk))
        if isinstance(source, PcmReader) and source.dropped_bytes:
            warnings.warn(f"{name}: the input ended inside a sample frame: its last {source.dropped_bytes} "
                          "byte(s) were dropped", stacklevel=1)
        last = engine.finish()
        if engine.stats.padded_samples:
            n = 3200 - engine.stats.padded_samples
            warnings.warn(f"{name}: the input ended inside a 100 ms block ({n} of 3200 samples): the block was "
                          "padded with zeros", stacklevel=1)
        write(last)
        if linker:
            for r in linker.close():
                out.write(json.dumps(r) + "\n")
            out.flush()
    except BrokenPipeError:  # the reader went away: stop quietly
        broken = True
    finally:
        for s, h in saved.items():
            signal.signal(s, h)
        if out is not sys.stdout:
            out.close()
    if broken:
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - no flush error at exit
        return 0
    if not args.quiet:
        s = engine.stats.summary()
        why = {signal.SIGINT: "stopped by SIGINT", signal.SIGTERM: "stopped by SIGTERM"}.get(state["signal"],
                                                                                          "end of input")
        timing = (f"; compute per block median {s['median_ms']:.1f} ms, p99 {s['p99_ms']:.1f} ms (RTF {s['rtf']:.3f})"
                  if "median_ms" in s else "")
        print(f"seld stream: {why}: {s['blocks']} block(s), {received / 32000:.1f} s of audio{timing}",
              file=sys.stderr)
    return 0
