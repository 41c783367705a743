"""Crash safety: a training run killed with SIGKILL resumes with ``--resume`` to exactly the weights and
validation metrics of an uninterrupted run, and no kill leaves a temporary or truncated file behind.

Real subprocesses (``python -m seld train``) and a real ``kill -9``, at a random moment after the first
checkpoint was written (the delay is printed, so a failure can be replayed with SELD_KILL_DELAY=<s>).
"""

from __future__ import annotations

import csv
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from conftest import TINY_MODEL
from seld.checkpoints import load_checkpoint_file, load_model

SETS = [*TINY_MODEL, "data.max_val_clips=2", "train.deterministic=true", "train.max_epochs=3"]
VAL_KEYS = ("val/f_score", "val/precision", "val/recall", "val/tp", "val/fp", "val/fn", "val/l_sed", "val/l_doa")


def _cmd(data: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "seld", "train", "--config", "paper", "--data", str(data), "--out", str(out),
            "--no-progress", *extra, "--set", *SETS]


def _env() -> dict[str, str]:
    # one thread each: the two runs go side by side on a 2-core machine, and equal thread counts keep
    # the float reductions identical between the processes
    return {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "SELD_NO_PROGRESS": "1",
            "PYTHONWARNINGS": "ignore"}


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float) -> float:
    t0 = time.monotonic()
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"training ended (rc {proc.returncode}) before {path} appeared")
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"{path} did not appear within {timeout} s")
        time.sleep(0.05)
    return time.monotonic()


def _last_val(run: Path) -> dict[str, float]:
    with open(run / "logs" / "metrics.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r.get("val/f_score")]
    assert rows, f"no validation rows in {run}/logs/metrics.csv"
    last = max(rows, key=lambda r: int(r["epoch"]))
    assert int(last["epoch"]) == 2
    return {k: float(last[k]) for k in VAL_KEYS}


def _temps(run: Path) -> list[Path]:
    return [p for p in run.rglob("*") if ".tmp" in p.name]


@pytest.mark.slow
def test_sigkill_then_resume_equals_uninterrupted_run(tiny_dataset: Path, tmp_path: Path) -> None:
    straight_dir, killed_dir = tmp_path / "straight", tmp_path / "killed"
    straight = subprocess.Popen(_cmd(tiny_dataset, straight_dir), env=_env(), stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
    victim = subprocess.Popen(_cmd(tiny_dataset, killed_dir), env=_env(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        # the feature statistics are written just before fitting starts, last.ckpt after the first epoch
        t_fit = _wait_for(killed_dir / "feature_stats.npz", victim, 300)
        t_ckpt = _wait_for(killed_dir / "checkpoints" / "last.ckpt", victim, 300)
        epoch_s = t_ckpt - t_fit
        delay = float(os.environ.get("SELD_KILL_DELAY", random.uniform(0.0, 0.9 * epoch_s)))
        print(f"epoch ~{epoch_s:.1f} s; SIGKILL {delay:.2f} s after the first checkpoint")
        time.sleep(delay)
        assert victim.poll() is None, "the run finished before it could be killed"
        os.kill(victim.pid, signal.SIGKILL)
        assert victim.wait(60) == -signal.SIGKILL
    finally:
        if victim.poll() is None:
            victim.kill()

    ckpt_dir = killed_dir / "checkpoints"
    # whatever the kill hit, every checkpoint there is complete and loads
    for ckpt in ckpt_dir.glob("*.ckpt"):
        assert "state_dict" in load_checkpoint_file(ckpt)
    # a kill during torch.save leaves the temporary file of the atomic write: simulate one
    good = (ckpt_dir / "last.ckpt").read_bytes()
    (ckpt_dir / ".last.k1ll3d00.tmp.ckpt").write_bytes(good[: len(good) // 2])

    resumed = subprocess.run(_cmd(tiny_dataset, killed_dir, "--resume"), env=_env(), capture_output=True,
                             text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    _, straight_err = straight.communicate(timeout=600)
    assert straight.returncode == 0, straight_err[-3000:]

    assert _temps(killed_dir) == [] and _temps(straight_dir) == []
    for run in (straight_dir, killed_dir):
        for ckpt in (run / "checkpoints").glob("*.ckpt"):
            model, _ = load_model(ckpt)
            assert all(torch.isfinite(p).all() for p in model.parameters())
    a = load_checkpoint_file(straight_dir / "checkpoints" / "last.ckpt")
    b = load_checkpoint_file(killed_dir / "checkpoints" / "last.ckpt")
    assert a["epoch"] == b["epoch"] == 2 and a["global_step"] == b["global_step"]
    assert a["state_dict"].keys() == b["state_dict"].keys()
    for k, v in a["state_dict"].items():
        torch.testing.assert_close(b["state_dict"][k], v, rtol=1e-5, atol=1e-6, msg=k)
    assert a["seld"]["loss_weighting"] == b["seld"]["loss_weighting"]
    va, vb = _last_val(straight_dir), _last_val(killed_dir)
    for k in VAL_KEYS:
        assert vb[k] == pytest.approx(va[k], rel=1e-5, abs=1e-6), k
