"""Rows side by side: one worker per device, each running its share of a table's rows in a subprocess.

Every worker is a plain ``seld experiment TABLE --rows ...`` with ``CUDA_VISIBLE_DEVICES`` set to its
device, so it resumes and skips exactly as a sequential run does; the parent then runs the table once
more in-process (nothing left to train) to evaluate ensembles and write the tables. Rows that share run
folders (Table 2's adaptive row, Table 4's proposed row: the Table 1 ROAM runs) go to the same worker,
so no two processes ever train one run folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ..errors import SeldError
from .runner import row_location
from .tables import Table


def assign_rows(table: Table, rows: list[str] | None, devices: list[str]) -> dict[str, list[str]]:
    """Row keys per device: trained rows grouped by run location, groups dealt round-robin."""
    selected = [r for r in table.rows if rows is None or r.key in rows]
    groups: dict[str, list[str]] = {}
    for r in selected:
        if r.ensemble_of:
            continue  # no training: evaluated by the parent afterwards
        groups.setdefault(row_location(table, r), []).append(r.key)
    plan: dict[str, list[str]] = {d: [] for d in devices}
    for i, keys in enumerate(groups.values()):
        plan[devices[i % len(devices)]].extend(keys)
    return {d: keys for d, keys in plan.items() if keys}


def run_rows_in_parallel(table: Table, rows: list[str] | None, devices: list[str], worker_args: list[str],
                         out: Path, say: Callable[[str], None] = print) -> None:
    """Start one worker per device (``seld experiment TABLE --rows ... <worker_args>``) and wait for all."""
    if not devices:
        raise SeldError("--parallel needs at least one device, e.g. --parallel 0,1")
    plan = assign_rows(table, rows, devices)
    log_dir = out / table.name / "workers"
    log_dir.mkdir(parents=True, exist_ok=True)
    procs = []
    for device, keys in plan.items():
        log = log_dir / f"device{device}.log"
        cmd = [sys.executable, "-m", "seld", "experiment", table.name, "--rows", ",".join(keys), *worker_args]
        env = {**os.environ, "CUDA_VISIBLE_DEVICES": device}
        say(f"{table.name}: rows {', '.join(keys)} on device {device} (log: {log})")
        fh = open(log, "w", encoding="utf-8")  # noqa: SIM115 - closed when the worker ends
        procs.append((device, keys, log, fh, subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env)))
    failed = []
    try:
        while any(p.poll() is None for *_, p in procs):
            time.sleep(1.0)
    except KeyboardInterrupt:
        for *_, p in procs:
            p.terminate()
        raise
    finally:
        for *_, fh, _ in procs:
            fh.close()
    for device, keys, log, _, p in procs:
        if p.returncode != 0:
            last = [ln for ln in log.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
            failed.append(f"rows {','.join(keys)} on device {device}: {last[-1] if last else 'no output'} "
                          f"(log: {log})")
        else:
            say(f"{table.name}: rows {', '.join(keys)} on device {device}: done")
    if failed:
        raise SeldError("parallel worker failed: " + "; ".join(failed))
