"""The entry points in an interpreter without site files, as a user's fresh virtual environment runs them.

The interpreter used by the tests here may import modules for us at start-up (``importlib.util`` among
them), which once hid an ``import importlib`` that lacked ``.util`` from every test while ``seld demo``
crashed on every clean install. ``python -S`` skips those site files; ``PYTHONPATH`` carries today's
``sys.path`` so that the installed dependencies are still found.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import seld
from seld.cli import COMMANDS

PACKAGE_PARENT = str(Path(seld.__file__).resolve().parent.parent)


def clean_env() -> dict[str, str]:
    paths = [PACKAGE_PARENT] + [p for p in sys.path if p and Path(p).exists()]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["SELD_NO_PROGRESS"] = "1"
    return env


# What the ``seld`` console script does. ``python -m seld`` would not do: runpy imports importlib.util itself.
CONSOLE_SCRIPT = "import sys; from seld.cli import main; sys.exit(main(sys.argv[1:]))"


def run_clean(
    args: list[str], cwd: Path, timeout: float = 300, module: bool = False
) -> subprocess.CompletedProcess[str]:
    """``seld ARGS`` (or ``python -m seld ARGS``) in a clean interpreter; fails the test with its output."""
    entry = ["-m", "seld"] if module else ["-c", CONSOLE_SCRIPT]
    proc = subprocess.run(
        [sys.executable, "-S", *entry, *args],
        cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=timeout,
    )
    assert proc.returncode == 0, f"seld {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc


def test_clean_interpreter_does_not_preload_importlib_util(tmp_path: Path) -> None:
    """The check below is only meaningful when -S really starts without ``importlib.util``."""
    proc = subprocess.run(
        [sys.executable, "-S", "-c", "import sys; print('importlib.util' in sys.modules)"],
        cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=60,
    )
    assert proc.stdout.strip() == "False"


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_in_clean_interpreter(command: str | None, tmp_path: Path) -> None:
    args = ["--help"] if command is None else [command, "--help"]
    proc = run_clean(args, tmp_path, timeout=120)
    assert "usage: seld" in proc.stdout
    if command is None:
        for name in COMMANDS:  # every subcommand was registered, none skipped for an import error
            assert name in proc.stdout


def test_python_m_seld_in_clean_interpreter(tmp_path: Path) -> None:
    proc = run_clean(["demo", "--help"], tmp_path, timeout=120, module=True)
    assert "usage: seld demo" in proc.stdout


def test_console_script_module_matches_cli() -> None:
    """``seld`` (the console script) and ``python -m seld`` both call ``seld.cli:main``."""
    import tomllib

    pyproject = Path(PACKAGE_PARENT).parent / "pyproject.toml"
    if not pyproject.is_file():  # installed without the source tree: nothing to compare
        pytest.skip("pyproject.toml not beside the package")
    scripts = tomllib.loads(pyproject.read_text())["project"]["scripts"]
    assert scripts["seld"] == "seld.cli:main"
    main_src = (Path(seld.__file__).parent / "__main__.py").read_text()
    assert "from .cli import main" in main_src


@pytest.mark.slow
def test_real_commands_in_clean_interpreter(tmp_path: Path) -> None:
    """synth -> predict (shipped checkpoint) -> evaluate, each a fresh clean interpreter."""
    data = tmp_path / "data"
    run_clean(["synth", str(data), "--preset", "tiny", "--seed", "3"], tmp_path)
    dev = data / "L3DAS22_Task2_dev"
    wavs = sorted((dev / "data").glob("*_A.wav"))[:2]
    assert wavs
    pred = tmp_path / "pred"
    run_clean(["predict", "pretrained", *map(str, wavs), "--out", str(pred)], tmp_path)
    assert len(list(pred.glob("*.csv"))) == len(wavs)
    proc = run_clean(["evaluate", str(pred), str(dev), "--json"], tmp_path)
    assert '"f_score"' in proc.stdout
