"""Run the benchmark sections side by side in one process and write ``bench.json`` and ``bench.md``.

``python -m seld.bench [--quick] [--gpu] [--only features,metric] --out DIR`` (also ``seld bench``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import torch

from . import SECTIONS, add_arguments
from .common import load_average, machine_info

__all__ = ["add_arguments", "main", "run_benchmarks", "to_markdown", "write_results"]


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if unit == "s" and value < 1:
        return f"{value * 1000:.1f} ms"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def _ratio(r: dict[str, Any]) -> str:
    return "-" if r["ratio"] is None else f"{r['ratio']:.2f}x"


def to_markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        "# seld benchmarks",
        "",
        f"- command: `{result['command']}`",
        f"- date: {m['date_utc']}; wall time {result['wall_s']:.0f} s; mode: {'quick' if result['quick'] else 'full'}",
        f"- CPU: {m['host_cpu']}, {m['cpu_count']} cores visible, torch threads {result['threads']}; "
        f"load average at start {m['load_average_start']}, at end {result['load_average_end']}",
        f"- torch {m['torch']}, numpy {m['numpy']}, scipy {m['scipy']}, onnxruntime {m['onnxruntime']}; "
        f"CUDA device: {m['cuda_device'] or 'none'}",
        "- every figure is the median over the repeats; ratio > 1 means seld is better",
        "",
        "| section | what | unit | baseline | value | seld | value | ratio | target | met |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        met = {True: "yes", False: "**no**", None: ""}[r["met"]]
        ratio = _ratio(r)
        extra = ""
        d = r["details"]
        if "hours_audio_per_min" in d:
            extra = f" ({d['hours_audio_per_min']:.2f} h audio/min"
            if "mfu" in d:
                extra += f", {d['tflop_per_step']:.2f} TFLOP/step, MFU {100 * d['mfu']:.1f}%"
            extra += ")"
        lines.append(
            f"| {r['section']} | {r['name']} | {r['unit']} | {r['baseline_label'] or '-'} "
            f"| {_fmt(r['baseline'], r['unit'])} "
            f"| {r['seld_label']}{extra} | {_fmt(r['seld'], r['unit'])} | {ratio} | {r['target']} | {met} |"
        )
    lines.append("")
    for name, sec in result["sections"].items():
        for note in sec.get("notes", []):
            lines.append(f"- {name}: {note}")
        if sec.get("error"):
            lines.append(f"- {name}: **failed**: {sec['error']}")
    lines.append("")
    return "\n".join(lines)


def run_benchmarks(args: argparse.Namespace, command: str) -> dict[str, Any]:
    """Run the selected sections; the results so far are written to ``args.out`` after each section."""
    torch.set_num_threads(max(1, args.threads))
    repeats = args.repeats or (1 if args.quick else 3)
    only = [s.strip() for s in args.only.split(",") if s.strip()] or list(SECTIONS)
    unknown = [s for s in only if s not in SECTIONS]
    if unknown:
        raise ValueError(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    t0 = time.perf_counter()
    result: dict[str, Any] = {
        "command": command,
        "quick": bool(args.quick),
        "gpu": bool(args.gpu),
        "threads": torch.get_num_threads(),
        "repeats": repeats,
        "machine": machine_info(),
        "sections": {},
        "rows": [],
    }
    for name in only:
        print(f"[bench] {name} ...", flush=True)
        ts = time.perf_counter()
        module = importlib.import_module(f".bench_{name}", __package__)
        kwargs: dict[str, Any] = {}
        if name == "training":
            kwargs = {"compile_ok": not args.no_compile, "large_batch": args.large_batch,
                      "compiled_only": bool(getattr(args, "compiled_only", False))}
        elif name == "stream":
            kwargs = {"stream_data": getattr(args, "stream_data", "") or None}
        try:
            sec = module.run(args.quick, args.gpu, repeats, **kwargs)
        except Exception as exc:  # noqa: BLE001 - report the failure, keep the other sections
            sec = {"rows": [], "notes": [], "error": f"{type(exc).__name__}: {exc}"}
            if name == "metric" and isinstance(exc, AssertionError):
                raise
        sec["wall_s"] = time.perf_counter() - ts
        sec["load_average_end"] = load_average()
        result["sections"][name] = sec
        result["rows"].extend(sec["rows"])
        for r in sec["rows"]:
            print(f"  {r['name']} | {r['seld_label']}: {_fmt(r['seld'], r['unit'])} {r['unit']}"
                  f" (baseline {_fmt(r['baseline'], r['unit'])}, ratio "
                  f"{_ratio(r)})",
                  flush=True)
        result["wall_s"] = time.perf_counter() - t0
        result["load_average_end"] = load_average()
        write_results(result, args.out)  # partial results survive a time limit
    result["wall_s"] = time.perf_counter() - t0
    result["load_average_end"] = load_average()
    return result


def write_results(result: dict[str, Any], out: str | Path) -> tuple[Path, Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    js, md = out / "bench.json", out / "bench.md"
    js.write_text(json.dumps(result, indent=2, default=float) + "\n", encoding="utf-8")
    md.write_text(to_markdown(result), encoding="utf-8")
    return js, md


def main(argv: list[str] | None = None, prog: str = "python -m seld.bench") -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__)
    add_arguments(parser)
    args = parser.parse_args(argv)
    command = " ".join([prog, *(sys.argv[1:] if argv is None else argv)])
    result = run_benchmarks(args, command)
    js, md = write_results(result, args.out)
    print(to_markdown(result))
    print(f"wrote {js} and {md}")
    return 0
