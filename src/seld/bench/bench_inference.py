"""CPU inference: real-time factor of whole-clip inference, eager torch vs bf16 vs TorchScript vs ONNX Runtime.

One 30 s clip (4 channels, 32 kHz) through the full model (features included), ``torch.inference_mode``,
``torch.set_num_threads(threads)`` (2 by default, the issue's budget). RTF = seconds of compute per
second of audio. The models are randomly initialised with feature statistics taken from the clip
itself, so activations have realistic magnitudes; the outputs of the fast paths are checked against eager.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .common import Row, measure, row

SAMPLE_RATE = 32_000


def build(config: str) -> torch.nn.Module:
    from seld.build import build_model
    from seld.config import load_config

    torch.manual_seed(0)
    return build_model(load_config(config)).eval()


def install_stats(model: torch.nn.Module, wave: torch.Tensor) -> None:
    """Feature statistics of ``wave`` (1, C, N), as training would compute them from its data."""
    if not getattr(model, "uses_feature_stats", False):
        return
    with torch.inference_mode():
        feats = model.frontend(wave)[0]  # (C, T, M)
    model.set_feature_stats(feats.mean(dim=1), feats.std(dim=1).clamp(min=1e-5))


def _rel_diff(a: dict[str, Any], b: dict[str, Any]) -> float:
    worst = 0.0
    for k in ("sed", "doa"):
        x = np.asarray(a[k], dtype=np.float64)
        y = b[k].float().numpy().astype(np.float64)
        worst = max(worst, float(np.abs(x - y).max() / max(np.abs(y).max(), 1e-12)))
    return worst


def bench_config(config: str, seconds: float, repeats: int, threads: int, variants: list[str]) -> list[Row]:
    from seld.models import count_parameters

    model = build(config)
    n = int(seconds * SAMPLE_RATE)
    gen = torch.Generator().manual_seed(0)
    wave = torch.randn(1, 4, n, generator=gen)
    install_stats(model, wave)
    with torch.inference_mode():
        ref = model(wave)
    timings: dict[str, dict[str, Any]] = {}
    checks: dict[str, float] = {}

    def eager() -> None:
        with torch.inference_mode():
            model(wave)

    timings["eager"] = measure(eager, repeats)
    if "jit" in variants:
        from seld.inference.onnx_export import TupleOutputs

        with torch.no_grad():
            traced = torch.jit.freeze(torch.jit.trace(TupleOutputs(model).eval(), (wave,), check_trace=False))

        def jit() -> Any:
            with torch.inference_mode():
                return traced(wave)

        sed, doa = jit()
        checks["jit"] = _rel_diff({"sed": sed.numpy(), "doa": doa.numpy()}, ref)
        timings["jit"] = measure(jit, repeats, warmup=2)
    if "bf16" in variants:  # the `seld predict --precision bf16` path: autocast + channels-last weights
        from seld.inference.infer import precision_context, prepare_for_inference

        fast = prepare_for_inference(copy.deepcopy(model), "bf16")

        def bf16() -> Any:
            with torch.inference_mode(), precision_context(wave.device, "bf16"):
                return fast(wave)

        checks["bf16"] = _rel_diff({k: v.float().numpy() for k, v in bf16().items()}, ref)
        timings["bf16"] = measure(bf16, repeats)
    if "onnx" in variants:
        try:
            from seld.inference.onnx_export import export_onnx, onnx_session, run_session

            with tempfile.TemporaryDirectory() as tmp:
                path = export_onnx(model, Path(tmp) / f"{config}.onnx", seconds=seconds)
                session = onnx_session(path, threads)
                checks["onnx"] = _rel_diff(run_session(session, wave), ref)
                timings["onnx"] = measure(lambda: run_session(session, wave), repeats)
        except Exception as exc:  # noqa: BLE001 - a missing optional runtime must not stop the benchmark
            checks["onnx_error"] = float("nan")
            timings.pop("onnx", None)
            print(f"  ONNX Runtime skipped for {config}: {exc}")
    labels = {"eager": "torch eager", "bf16": "torch bf16 autocast + channels-last",
              "jit": "TorchScript trace+freeze", "onnx": "ONNX Runtime (CPU EP)"}
    base = timings["eager"]["median_s"]
    best_name = min(timings, key=lambda k: timings[k]["median_s"])
    rows = []
    info = {"clip_seconds": seconds, "threads": threads, "params": count_parameters(model)}
    for name, t in timings.items():
        rtf = t["median_s"] / seconds
        is_target = config == "paper" and name == best_name
        rows.append(
            row("inference", f"{config}: RTF, {seconds:g} s clip, {threads} threads", "RTF (s/s)",
                rtf, base / seconds, higher_is_better=False, seld_label=labels[name],
                baseline_label="torch eager", target="RTF <= 0.05 (best path)" if is_target else "info",
                goal_value=0.05 if is_target else None,
                details={**info, "times_s": t["times_s"], "max_rel_diff_vs_eager": checks.get(name, 0.0),
                         "best": name == best_name})
        )
    return rows


def run(quick: bool, gpu: bool, repeats: int) -> dict[str, Any]:
    threads_before = torch.get_num_threads()
    threads = 2
    torch.set_num_threads(threads)
    try:
        rows: list[Row] = []
        if quick:
            rows += bench_config("demo", 5.0, 1, threads, ["bf16", "onnx"])
        else:
            for config in ("paper", "demo"):
                rows += bench_config(config, 30.0, repeats, threads, ["bf16", "jit", "onnx"])
    finally:
        torch.set_num_threads(threads_before)
    notes = ["quick mode: demo model only, 5 s clip"] if quick else []
    return {"rows": rows, "notes": notes}
