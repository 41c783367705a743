"""`seld evaluate --format dcase2024|dcase2023`: the official DCASE metrics from the command line."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from seld.cli import main
from seld.data.dcase_csv import polar_to_cartesian, write_dcase_csv

# frame, class, source, azimuth, elevation, distance (cm): two files of one split
REFS = {
    "fold4_room1_mix001": [(f, 2, 0, 30, 10, 150) for f in range(0, 12)]
    + [(f, 5, 1, -90, 0, 300) for f in range(5, 15)],
    "fold4_room2_mix002": [(f, 0, 0, 120, -20, 220) for f in range(3, 20)],
}


def write_refs(root: Path) -> Path:
    split = root / "metadata_dev" / "dev-test-synth"
    split.mkdir(parents=True)
    for name, rows in REFS.items():
        (split / f"{name}.csv").write_text("".join(",".join(map(str, r)) + "\n" for r in rows))
    return root / "metadata_dev"


def write_predictions(folder: Path, shift_deg: float = 0.0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in REFS.items():
        out = []
        for f, c, _s, az, el, d in rows:
            x, y, z = polar_to_cartesian(az + shift_deg, el)
            out.append((f, c, 0, float(x), float(y), float(z), d / 100))
        write_dcase_csv(folder / f"{name}.csv", out)


@pytest.mark.parametrize("edition", ["dcase2024", "dcase2023"])
def test_perfect_predictions_score_perfectly(edition: str, tmp_path: Path, capsys) -> None:
    ref = write_refs(tmp_path)
    write_predictions(tmp_path / "pred")
    assert main(["evaluate", str(tmp_path / "pred"), str(ref), "--format", edition, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    # macro: the official plain mean over all 13 classes, absent ones scoring F = 0 (3 classes present); their
    # DOA error is NaN (2024, left out by nanmean) or 180 degrees (2023, averaged in)
    assert result["f_score"] == pytest.approx(3 / 13)
    expected_doa = 10 * 180 / 13 if edition == "dcase2023" else 0.0
    assert result["doa_error"] == pytest.approx(expected_doa, abs=0.01)
    assert main(["evaluate", str(tmp_path / "pred"), str(ref), "--format", edition, "--average", "micro",
                 "--json"]) == 0
    micro = json.loads(capsys.readouterr().out)
    assert micro["f_score"] == pytest.approx(1.0) and micro["doa_error"] < 0.01
    keys = {"f_score", "doa_error", "rde", "seld_score"} if edition == "dcase2024" else \
        {"error_rate", "f_score", "doa_error", "localization_recall", "seld_score"}
    assert keys <= set(result) and len(result["per_class"]["f_score"]) == 13


def test_angle_beyond_20_degrees_is_a_miss_and_table_output(tmp_path: Path, capsys) -> None:
    ref = write_refs(tmp_path)
    write_predictions(tmp_path / "pred", shift_deg=25.0)
    assert main(["evaluate", str(tmp_path / "pred"), str(ref), "--format", "dcase2024", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["f_score"] == pytest.approx(0.0) and 20.0 < result["doa_error"] <= 25.0  # great-circle angle
    assert main(["evaluate", str(tmp_path / "pred"), str(ref), "--format", "dcase2024", "--average", "micro"]) == 0
    table = capsys.readouterr().out
    assert "micro average" in table and "seld_score" in table


def test_jackknife_intervals(tmp_path: Path, capsys) -> None:
    ref = write_refs(tmp_path)
    write_predictions(tmp_path / "pred", shift_deg=12.0)
    assert main(["evaluate", str(tmp_path / "pred"), str(ref), "--format", "dcase2024", "--jackknife", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    low, high = result["confidence_intervals"]["doa_error"]
    assert math.isfinite(low) and math.isfinite(high) and low <= high
    assert 10.0 < result["doa_error"] <= 12.0


def test_prediction_without_reference_is_one_line(tmp_path: Path, capsys) -> None:
    ref = write_refs(tmp_path)
    write_predictions(tmp_path / "pred")
    (tmp_path / "pred" / "fold4_room9_mix999.csv").write_text("0,1,0,1.0,0.0,0.0,1.0\n")
    assert main(["evaluate", str(tmp_path / "pred"), str(ref), "--format", "dcase2024"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "fold4_room9_mix999" in err[0]
