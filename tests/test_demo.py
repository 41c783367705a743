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
    assert list((Path("demo_run") / "predictions_demo_plus").glob("label_*.csv"))
    # the main job decodes with per-class thresholds calibrated after training, and the report shows them
    thresholds = metrics["systems"]["proposed"]["thresholds"]
    assert len(thresholds["values"]) == 14 and thresholds["classes"][0] == "Chink_and_clink"
    assert "## Detection thresholds: proposed" in (report / "results.md").read_text()
    # a second run reuses the data and the finished training, and reports the same score
    capsys.readouterr()
    assert main(args) == 0
    assert "reusing synthetic data" in capsys.readouterr().out
    assert json.loads((report / "metrics.json").read_text())["f_score"] == metrics["f_score"]


@pytest.mark.slow
def test_demo_dcase_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`seld demo --format dcase`: DCASE synthetic data -> train (3-track PIT) -> predict -> the 2024 metrics."""
    monkeypatch.chdir(tmp_path)
    args = ["demo", "--format", "dcase", "--preset", "dcase-tiny", "--out", "dc", "--epochs", "1", "--no-progress",
            "--workers", "1", "--set", *TINY_MODEL]
    assert main(args) == 0
    metrics = json.loads((Path("dc") / "report" / "metrics.json").read_text())
    assert metrics["metric"].startswith("DCASE 2024") and 0.0 <= metrics["f_score"] <= 1.0
    assert "seld_score" in metrics and metrics["systems"]["proposed"]["config"] == "dcase_demo"
    preds = sorted((Path("dc") / "predictions_dcase_demo").glob("fold4_*.csv"))
    assert preds and all(len(line.split(",")) == 7 for p in preds[:2] for line in p.read_text().splitlines())
    assert main([*args[:1], "--format", "dcase", "--baseline", "--out", "dc2"]) == 2


@pytest.mark.slow
def test_demo_baseline_uses_the_tuned_recipe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """`seld demo --baseline`: SELDnet with the tuned recipe, said so, decoded like the main system (calibrated)."""
    monkeypatch.chdir(tmp_path)
    args = ["demo", "--out", "b", "--preset", "tiny", "--seed", "2", "--epochs", "1", "--no-progress", "--workers", "1",
            "--baseline", "--set", *TINY_MODEL, "model.rnn_size=16", "model.fc_size=16"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "the tuned recipe (seldnet_demo.yaml" in out
    systems = json.loads((Path("b") / "report" / "metrics.json").read_text())["systems"]
    assert systems["SELDnet baseline"]["config"] == "seldnet_demo"
    assert systems["SELDnet baseline"]["thresholds"] is not None and systems["proposed"]["thresholds"] is not None
    table = (Path("b") / "report" / "results.md").read_text()
    assert "| SELDnet baseline | seldnet_demo |" in table and "## Detection thresholds: SELDnet baseline" in table
