"""`seld experiment`: the paper's tables as rows x seeds, resumable runs, tables, plots, results page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import TINY_MODEL
from seld.cli import main
from seld.config import load_config
from seld.experiments.report import NOTES_BEGIN, NOTES_END, check_claims, collect
from seld.experiments.runner import ExperimentOptions, row_config, scaled_config_name
from seld.experiments.tables import TABLES, get_table

TINY = [*TINY_MODEL, "model.rnn_size=16", "model.fc_size=16"]


def test_tables_cover_the_paper():
    assert [r.key for r in TABLES["table1"].rows] == ["none", "mfm", "ctam", "attentive_mfm", "roam"]
    assert len(TABLES["table2"].rows) == 10
    for table in TABLES.values():
        for row in table.rows:
            if row.config:
                load_config(row.config)  # every row's config exists and is valid
            assert set(row.paper) <= set(table.columns)
    # the paper's best row is compared with every other row
    claims = get_table("table1").paper_claims()
    assert len(claims) == 4 and all(better == ("roam", "F") for better, _ in claims)
    assert get_table("table2").paper_claims()[0][0] == ("adaptive", "F")


def test_demo_scale_applies_the_row_difference_to_the_demo_config(tmp_path: Path):
    assert scaled_config_name("paper", "demo") == ("demo", [])
    assert scaled_config_name("seldnet", "demo") == ("seldnet_demo", [])
    assert scaled_config_name("table1_mfm", "paper") == ("table1_mfm", [])
    demo = load_config("demo")
    opts = ExperimentOptions(data=tmp_path, out=tmp_path, scale="demo", epochs=3)
    mfm = row_config(get_table("table1").row("mfm"), 1, opts)
    assert mfm.model.attention == "mfm" and mfm.model.channels == demo.model.channels
    assert mfm.train.seed == 1 and mfm.train.max_epochs == 3 and mfm.data.root == str(tmp_path)
    fixed = row_config(get_table("table2").row("l08_t04"), 0, opts)
    assert (fixed.loss.weighting, fixed.loss.lambda_sed, fixed.loss.tau_doa) == ("fixed", 0.8, 0.4)
    assert fixed.features.n_mels == demo.features.n_mels
    paper = row_config(get_table("table1").row("none"), 0, ExperimentOptions(data=tmp_path, out=tmp_path))
    assert paper.model.channels == load_config("paper").model.channels and paper.model.attention == "none"


def _mtimes(root: Path) -> dict[Path, float]:
    return {p: p.stat().st_mtime for p in root.rglob("result.json")}


@pytest.mark.slow
def test_experiment_end_to_end_and_resume(tiny_dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    out = tmp_path / "exp"
    common = ["--data", str(tiny_dataset), "--out", str(out), "--epochs", "1", "--scale", "demo",
              "--set", *TINY, "data.max_val_clips=2", "train.limit_train_batches=0.5"]
    assert main(["experiment", "table1", "--rows", "none,roam", "--seeds", "1", *common]) == 0
    for row in ("none", "roam"):
        result = json.loads((out / "table1" / row / "seed0" / "result.json").read_text())
        assert 0.0 <= result["f_score"] <= 1.0 and result["epochs"] == 1
        assert (out / "table1" / row / "seed0" / result["evaluated_checkpoint"]).exists()
    assert not (out / "table1" / "mfm").exists()
    md = (out / "table1" / "table.md").read_text()
    assert "ROAM (proposed)" in md and "64.6" in md and "not run" in md
    assert (out / "table1" / "bars.png").stat().st_size > 0 and (out / "table1" / "curves.png").exists()

    # Table 4 with 2 seeds: reuses ROAM seed 0, trains seed 1 and SELDnet, ensembles the two seeds
    assert main(["experiment", "table4", "--seeds", "2", *common]) == 0
    ens = json.loads((out / "table4" / "ensemble" / "result.json").read_text())
    assert len(ens["members"]) == 2
    assert (out / "table1" / "roam" / "seed1" / "result.json").exists()
    assert (out / "table4" / "seldnet" / "seed1" / "result.json").exists()
    assert not (out / "table4" / "proposed").exists()  # the proposed row reads the Table 1 ROAM runs
    summary = collect(get_table("table4"), out)
    assert [len(r["cells"]["F"]["values"]) for r in summary["rows"]] == [2, 2, 1]
    assert len(check_claims(get_table("table4"), summary)) == 2
    assert (out / "table4" / "table.md").exists() and (out / "table4" / "bars.png").exists()

    # rerunning resumes: finished runs are skipped, nothing is retrained or rewritten
    before = _mtimes(out)
    capsys.readouterr()
    assert main(["experiment", "table4", "--seeds", "2", *common]) == 0
    assert "skipped" in capsys.readouterr().out and _mtimes(out) == before
    # a trained run whose evaluation was lost is only evaluated again
    (out / "table4" / "seldnet" / "seed0" / "result.json").unlink()
    assert main(["experiment", "table4", "--seeds", "2", "--rows", "seldnet", *common]) == 0
    assert "trained, evaluating" in capsys.readouterr().out
    # other settings in the same folder are refused instead of mixed in
    changed = [a if a != "1" else "2" for a in common]
    assert main(["experiment", "table1", "--rows", "roam", "--seeds", "1", *changed]) == 2

    # table 3 from the ROAM runs, then the results page; the hand-written discussion survives a rewrite
    assert main(["experiment", "table3", "--seeds", "2", *common]) == 0
    t3 = (out / "table3" / "table.md").read_text()
    assert "DOA only (SE=1m)" in t3 and "(81.5)" in t3
    doc = tmp_path / "docs" / "results.md"
    assert main(["experiment", "report", "--out", str(out), "--doc", str(doc)]) == 0
    text = doc.read_text()
    assert "## Protocol" in text and "Table 4" in text and "img/results_table1_bars.png" in text
    assert (tmp_path / "docs" / "img" / "results_table4_curves.png").exists()
    doc.write_text(text.replace("(no discussion written yet)", "ROAM wins here."))
    assert main(["experiment", "report", "--out", str(out), "--doc", str(doc)]) == 0
    kept = doc.read_text()
    assert "ROAM wins here." in kept.split(NOTES_BEGIN, 1)[1].split(NOTES_END, 1)[0]


def test_experiment_needs_data_for_tables(tmp_path: Path):
    assert main(["experiment", "table1", "--out", str(tmp_path / "x")]) == 2
    assert main(["experiment", "table1", "--data", str(tmp_path / "missing"), "--out", str(tmp_path / "x")]) == 2


def test_saved_configs_compare_with_defaults_and_ignore_transport_settings() -> None:
    """A run saved before a field existed still matches; batch transport settings never block a resume."""
    from seld.config import config_to_dict, load_config
    from seld.experiments.runner import _comparable

    now = config_to_dict(load_config("demo"))
    old = config_to_dict(load_config("demo", ["data.on_device=always", "data.num_workers=2"]))
    del old["data"]["on_device"]  # as written by a version without the field
    assert _comparable(old) == _comparable(now)
    other = config_to_dict(load_config("demo", ["model.attention=mfm"]))
    assert _comparable(other) != _comparable(now)


def test_parallel_assignment_keeps_shared_runs_on_one_worker() -> None:
    from seld.experiments.parallel import assign_rows

    t1 = assign_rows(get_table("table1"), None, ["0", "1"])
    assert t1 == {"0": ["none", "ctam", "roam"], "1": ["mfm", "attentive_mfm"]}
    t3 = assign_rows(get_table("table3"), None, ["0", "1", "2"])
    assert t3 == {"0": [r.key for r in get_table("table3").rows]}  # all read the Table 1 ROAM runs
    t4 = assign_rows(get_table("table4"), None, ["0", "1", "2"])
    assert t4 == {"0": ["seldnet"], "1": ["proposed"]}  # the ensemble trains nothing
    assert assign_rows(get_table("table2"), ["l1_t1", "adaptive"], ["3"]) == {"3": ["l1_t1", "adaptive"]}


@pytest.mark.slow
def test_experiment_rows_side_by_side(tiny_dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """`--parallel 0,1`: two worker processes train a row each; the parent then writes the table."""
    out = tmp_path / "exp"
    args = ["experiment", "table1", "--rows", "none,mfm", "--seeds", "1", "--parallel", "0,1",
            "--data", str(tiny_dataset), "--out", str(out), "--epochs", "1", "--scale", "demo",
            "--set", *TINY, "data.max_val_clips=1", "train.limit_train_batches=0.5"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "rows none on device 0" in printed and "rows mfm on device 1" in printed
    for row, device in (("none", "0"), ("mfm", "1")):
        assert (out / "table1" / row / "seed0" / "result.json").exists()
        assert f"table1/{row} seed 0: dev F" in (out / "table1" / "workers" / f"device{device}.log").read_text()
    assert "skipped" in printed  # the parent found both rows finished
    assert (out / "table1" / "table.md").exists()
    bad = [a if a != "1" else "0" for a in args]  # --seeds 0 is refused by the workers
    assert main(bad) == 2
    assert "parallel worker failed" in capsys.readouterr().err


def test_claims_use_pooled_seed_noise_for_single_seed_rows() -> None:
    """A one-seed row gets the table's pooled seed variance, not zero (which would overstate certainty)."""
    table = get_table("table1")

    def row(key: str, values: list[float], location: str | None = None) -> dict:
        return {"key": key, "label": key, "config": f"table1_{key}", "location": location or f"table1/{key}",
                "seeds": list(range(len(values))), "cells": {"F": {"values": values, "paper": 60.0}}}

    summary = {"rows": [row("none", [40.0, 60.0]), row("mfm", [50.0]), row("ctam", [52.0, 54.0]),
                        row("attentive_mfm", []), row("roam", [70.0])]}
    claims = {c["worse"]: c for c in check_claims(table, summary)}
    pooled = (200.0 * 1 + 2.0 * 1) / 2  # sample variances 200 and 2, one degree of freedom each
    assert claims["mfm"]["se"] == pytest.approx((2 * pooled) ** 0.5) and claims["mfm"]["pooled"]
    assert claims["none"]["se"] == pytest.approx((pooled + 200.0 / 2) ** 0.5)
    assert claims["mfm"]["verdict"] == "within seed noise, same direction"  # +20 < 2 x 14.2
    assert claims["attentive_mfm"]["verdict"] == "not run"
    summary["rows"] = [row(k, [50.0 + i]) for i, k in enumerate(["none", "mfm", "ctam", "attentive_mfm", "roam"])]
    assert all("no seed spread" in c["verdict"] for c in check_claims(table, summary))


def test_moving_average_of_curves_by_hand() -> None:
    import numpy as np

    from seld.reporting.plots import _moving_average

    y = np.array([1.0, 2.0, 3.0, 4.0, 10.0])
    assert np.allclose(_moving_average(y, 2), [1.0, 1.5, 2.5, 3.5, 7.0])
    assert np.allclose(_moving_average(y, 3), [1.0, 1.5, 2.0, 3.0, 17.0 / 3])
    assert np.array_equal(_moving_average(y, 1), y)
