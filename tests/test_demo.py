"""`seld demo` end to end on the `tiny` preset with a tiny model, from a relative --out as a user types it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import TINY_MODEL
from seld.cli import main


@pytest.mark.slow
def test_demo_end_to_end_with_a_relative_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["demo", "--out", "demo_run", "--preset", "tiny", "--seed", "2", "--epochs", "2", "--no-progress",
            "--workers", "1", "--set", *TINY_MODEL]
    assert main(args) == 0
    report = Path("demo_run") / "report"
    metrics = json.loads((report / "metrics.json").read_text())
    assert 0.0 <= metrics["f_score"] <= 1.0 and metrics["systems"]["proposed"]["params"] > 0
    assert (report / "results.md").exists() and (report / "training_curves.png").exists()
    assert list((Path("demo_run") / "predictions_demo").glob("label_*.csv"))
    # a second run reuses the data and the finished training, and reports the same score
    capsys.readouterr()
    assert main(args) == 0
    assert "reusing synthetic data" in capsys.readouterr().out
    assert json.loads((report / "metrics.json").read_text())["f_score"] == metrics["f_score"]
