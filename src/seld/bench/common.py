"""Timing, machine description and result rows shared by the benchmark sections."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch

Row = dict[str, Any]


def cuda_sync(device: torch.device | str | None) -> None:
    """Wait for queued CUDA work (no-op on the CPU)."""
    if device is not None and torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def measure(
    fn: Callable[[], Any],
    repeats: int = 3,
    warmup: int = 1,
    device: torch.device | str | None = None,
) -> dict[str, Any]:
    """Run ``fn`` ``warmup`` times untimed, then ``repeats`` times; wall seconds (median, min, all).

    On CUDA the device is synchronised before each clock reading, so queued kernels are counted.
    """
    for _ in range(warmup):
        fn()
    cuda_sync(device)
    times = []
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        fn()
        cuda_sync(device)
        times.append(time.perf_counter() - t0)
    return {"median_s": statistics.median(times), "min_s": min(times), "times_s": times}


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def machine_info() -> dict[str, Any]:
    """What the numbers were measured on (CPU, cores, load, library versions, CUDA device)."""
    info: dict[str, Any] = {
        "date_utc": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "host_cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "load_average_start": load_average(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "torch": torch.__version__,
        "cuda_device": None,
    }
    for mod in ("numpy", "scipy", "onnxruntime", "lightning"):
        try:
            info[mod] = __import__(mod).__version__
        except ImportError:
            info[mod] = None
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        info["cuda_device"] = props.name
        info["cuda_memory_gib"] = round(props.total_memory / 2**30, 1)
        info["cuda_runtime"] = torch.version.cuda
    return info


def row(
    section: str,
    name: str,
    unit: str,
    seld: float | None,
    baseline: float | None = None,
    *,
    seld_label: str = "seld",
    baseline_label: str = "",
    higher_is_better: bool = True,
    target: str = "",
    goal_ratio: float | None = None,
    goal_value: float | None = None,
    details: dict[str, Any] | None = None,
) -> Row:
    """One table row: baseline vs seld, their ratio (> 1 = seld better) and whether the goal is met.

    ``goal_ratio``: seld must beat the baseline by this factor; ``goal_value``: an absolute bound on
    the seld figure (upper bound when lower is better, lower bound otherwise).
    """
    ratio = None
    if baseline is not None and seld is not None and baseline > 0 and seld > 0:
        ratio = seld / baseline if higher_is_better else baseline / seld
    met: bool | None = None
    if goal_ratio is not None and ratio is not None:
        met = ratio >= goal_ratio
    if goal_value is not None and seld is not None:
        ok = seld >= goal_value if higher_is_better else seld <= goal_value
        met = ok if met is None else (met and ok)
    return {
        "section": section,
        "name": name,
        "unit": unit,
        "baseline_label": baseline_label,
        "baseline": baseline,
        "seld_label": seld_label,
        "seld": seld,
        "ratio": ratio,
        "higher_is_better": higher_is_better,
        "target": target,
        "met": met,
        "details": details or {},
    }
