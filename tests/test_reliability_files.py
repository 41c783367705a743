"""Untrusted checkpoints never execute code, and atomic writes survive a real SIGKILL mid-write."""

from __future__ import annotations

import os
import pickle
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

from seld.checkpoints import load_checkpoint_file
from seld.cli import main
from seld.errors import CheckpointError
from seld.io_utils import atomic_open, remove_stale_temps, write_json_atomic
from seld.training.checkpoint_io import AtomicCheckpointIO


class _Payload:
    """Unpickling this calls ``open(marker, "w")``: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def _crafted(tmp_path: Path, how: str) -> tuple[Path, Path]:
    marker = tmp_path / "code-was-run"
    path = tmp_path / f"evil_{how}.ckpt"
    payload = {"state_dict": {"model.w": torch.zeros(2)}, "hyper_parameters": {"config": _Payload(marker)}}
    if how == "torch-zip":
        torch.save(payload, path)
    else:  # a bare pickle, legacy protocol 2 or the default protocol
        with open(path, "wb") as fh:
            pickle.dump(payload, fh, protocol=2 if how == "pickle-2" else pickle.DEFAULT_PROTOCOL)
    return path, marker


@pytest.mark.parametrize("how", ["torch-zip", "pickle-2", "pickle-default"])
def test_crafted_pickle_is_refused_without_running_code(how: str, tmp_path: Path, tiny_dataset: Path,
                                                        capsys) -> None:
    path, marker = _crafted(tmp_path, how)
    with pytest.raises(CheckpointError, match="refused to load.*could run code.*weights_only=True"):
        load_checkpoint_file(path)
    with pytest.raises(CheckpointError, match="refused to load"):  # Lightning's resume path uses the same
        AtomicCheckpointIO().load_checkpoint(path)
    rc = main(["predict", str(path), str(tiny_dataset / "L3DAS22_Task2_dev"), "--out", str(tmp_path / "pred")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "\n" not in err and err.startswith(f"seld predict: error: {path}: refused to load")
    # and as last.ckpt of a run folder to resume
    last = tmp_path / "run" / "checkpoints" / "last.ckpt"
    last.parent.mkdir(parents=True)
    last.write_bytes(path.read_bytes())
    rc = main(["train", "--config", "paper", "--data", str(tiny_dataset), "--out", str(tmp_path / "run"), "--resume"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "\n" not in err and "refused to load" in err
    assert not marker.exists()
    assert not (tmp_path / "pred").exists()


def test_weights_only_is_what_refuses(tmp_path: Path) -> None:
    """The same file does run code with weights_only=False: the test payload is a real one."""
    path, marker = _crafted(tmp_path, "torch-zip")
    torch.load(path, weights_only=False)
    assert marker.exists()


# -------------------------------------------------------------------------------------- atomic writes
WRITER = textwrap.dedent("""
    import sys, time
    from seld.io_utils import atomic_open
    with atomic_open(sys.argv[1], "w") as fh:
        fh.write("partial,")
        fh.flush()
        print("writing", flush=True)
        time.sleep(60)
        fh.write("never")
""")


def test_sigkill_during_an_atomic_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "metrics.json"
    write_json_atomic(target, {"f_score": 0.5})
    old = target.read_bytes()
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
        time.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
    assert target.read_bytes() == old  # the old, complete file: never a truncated one
    temps = [p for p in tmp_path.iterdir() if p != target]
    assert len(temps) == 1 and temps[0].name.startswith(".metrics.") and temps[0].name.endswith(".tmp.json")
    assert remove_stale_temps(tmp_path) == temps
    assert sorted(tmp_path.iterdir()) == [target]


def test_failed_write_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with pytest.raises(RuntimeError), atomic_open(target) as fh:
        fh.write("half")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_remove_stale_temps_keeps_other_files(tmp_path: Path) -> None:
    keep = [tmp_path / "last.ckpt", tmp_path / ".hidden", tmp_path / "notes.tmp.txt", tmp_path / ".x.tmp"]
    for p in keep:
        p.write_text("x")
    (tmp_path / ".last.ab12cd34.tmp.ckpt").write_text("half")
    assert [p.name for p in remove_stale_temps(tmp_path)] == [".last.ab12cd34.tmp.ckpt"]
    assert sorted(tmp_path.iterdir()) == sorted(keep)


def test_atomic_files_get_the_usual_permissions(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    try:
        write_json_atomic(tmp_path / "metrics.json", {})
    finally:
        os.umask(mask)
    assert stat.S_IMODE((tmp_path / "metrics.json").stat().st_mode) == 0o644  # not mkstemp's 0600
