"""Two processes never share an output folder: the second is refused, names the holder, changes nothing;
a lock left by a process killed with SIGKILL does not block ``--resume``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import TINY_MODEL
from seld.checkpoints import load_checkpoint_file
from seld.cli import main
from seld.utils.folder_lock import LOCK_NAME, FolderBusyError, folder_lock

HOLD = (
    "import sys, time; from seld.utils.folder_lock import folder_lock\n"
    "with folder_lock(sys.argv[1], 'test'):\n"
    "    print('held', flush=True); time.sleep(120)\n"
)


def _env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "SELD_NO_PROGRESS": "1", "PYTHONWARNINGS": "ignore"}


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


@pytest.fixture
def held(tmp_path: Path):
    """A folder whose lock another process holds; yields (folder, that process's pid)."""
    folder = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)], stdout=subprocess.PIPE, text=True,
                            env=_env())
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        yield folder, proc.pid
    finally:
        proc.kill()
        proc.wait()


def test_second_synth_is_refused_and_changes_nothing(held, capsys) -> None:
    folder, pid = held
    (folder / "keep.txt").write_text("x")
    before = _snapshot(folder)
    assert main(["synth", str(folder), "--preset", "tiny", "--overwrite"]) == 2
    err = capsys.readouterr().err
    assert f"pid {pid}" in err and "in use by another seld process" in err and len(err.strip().splitlines()) == 1
    assert _snapshot(folder) == before


def test_second_predict_is_refused(held, tiny_dataset: Path, capsys) -> None:
    folder, pid = held
    wav = sorted((tiny_dataset / "L3DAS22_Task2_dev" / "data").glob("*_A.wav"))[0]
    before = _snapshot(folder)
    assert main(["predict", "pretrained", str(wav), "--out", str(folder)]) == 2
    assert f"pid {pid}" in capsys.readouterr().err
    assert _snapshot(folder) == before


def test_lock_is_released_and_a_failed_new_folder_is_removed(tmp_path: Path) -> None:
    with folder_lock(tmp_path / "a", "test") as folder:
        assert (folder / LOCK_NAME).read_text().startswith(f"pid {os.getpid()}")
        with pytest.raises(FolderBusyError), folder_lock(folder, "test"):  # flock: per open file, also in-process
            pass
    with folder_lock(tmp_path / "a", "test"):  # released on exit
        pass
    with pytest.raises(RuntimeError), folder_lock(tmp_path / "b", "test"):
        raise RuntimeError("bad input")
    assert not (tmp_path / "b").exists()  # made by the failed command, holding only the lock: removed


@pytest.mark.slow
def test_two_train_processes_then_kill_and_resume(tiny_dataset: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"

    def cmd(*extra: str) -> list[str]:
        return [sys.executable, "-m", "seld", "train", "--config", "demo", "--data", str(tiny_dataset),
                "--out", str(run), "--no-progress", *extra, "--set", *TINY_MODEL, "data.max_val_clips=1"]

    first = subprocess.Popen(cmd("--epochs", "200"), env=_env(), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        t0 = time.monotonic()
        while not (run / LOCK_NAME).is_file() or f"pid {first.pid}" not in (run / LOCK_NAME).read_text():
            assert first.poll() is None and time.monotonic() - t0 < 120, "first run did not take the lock"
            time.sleep(0.05)
        second = subprocess.run(cmd("--epochs", "200"), env=_env(), capture_output=True, text=True, timeout=120)
        assert second.returncode == 2, second.stderr
        assert f"pid {first.pid}" in second.stderr and "Traceback" not in second.stderr
        last = run / "checkpoints" / "last.ckpt"
        while not last.exists() or int(load_checkpoint_file(last)["epoch"]) < 1:  # 2 epochs done
            assert first.poll() is None and time.monotonic() - t0 < 240, "no checkpoint from the first run"
            time.sleep(0.1)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert (run / LOCK_NAME).exists()  # left behind by the killed process, naming it
    done = int(load_checkpoint_file(last)["epoch"]) + 1
    too_few = subprocess.run(cmd("--resume", "--epochs", str(done - 1)), env=_env(), capture_output=True, text=True,
                             timeout=300)
    assert too_few.returncode == 2 and f"already trained {done} epochs" in too_few.stderr, too_few.stderr
    resumed = subprocess.run(cmd("--resume", "--epochs", str(done + 1)), env=_env(), capture_output=True,
                             text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"trained {done + 1} epochs" in resumed.stdout
