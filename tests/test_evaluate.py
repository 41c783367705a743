"""Tests of ``seld evaluate`` and :func:`seld.metrics.evaluate_folder` on a hand-made split folder."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from seld.cli import main
from seld.data.l3das22 import reference_rows, write_prediction_csv
from seld.errors import SeldError
from seld.metrics import evaluate_folder, location_sensitive_detection

SR = 32_000
HEADER = "File,Start,End,Class,X,Y,Z\n"
LABELS = {
    "split4_ov1_1": [("0.0", "0.35", "Knock", "1.0", "0.5", "0.0")],
    "split4_ov2_2": [
        ("0.1", "0.6", "Laughter", "-1.0", "0.2", "0.3"),
        ("0.3", "0.9", "Printer", "1.5", "-1.0", "-0.5"),
    ],
    "split4_ov3_3": [
        ("0.0", "0.5", "Telephone", "0.5", "0.5", "0.5"),
        ("0.2", "0.8", "Telephone", "-0.5", "-0.5", "-0.5"),
        ("0.4", "0.7", "Writing", "2.0", "1.0", "0.0"),
    ],
}


def _make_split(root: Path, nested: bool = False) -> Path:
    split = root / "L3DAS22_Task2_dev"
    base = split / "L3DAS22_Task2_dev" if nested else split
    (base / "data").mkdir(parents=True)
    (base / "labels").mkdir()
    rng = np.random.default_rng(0)
    for name, events in LABELS.items():
        for mic in "AB":
            wave = (0.01 * rng.standard_normal((SR, 4))).astype(np.float32)  # 1 s -> 10 label frames
            sf.write(base / "data" / f"{name}_{mic}.wav", wave, SR, subtype="FLOAT")
        lines = [f"{name}_A.wav,{','.join(ev)}\n" for ev in events]
        (base / "labels" / f"label_{name}.csv").write_text(HEADER + "".join(lines), encoding="utf-8")
    return split


def _refs(split: Path, name: str) -> np.ndarray:
    label = next(split.rglob(f"label_{name}.csv"))
    return reference_rows(label, 1.0)


@pytest.fixture()
def split(tmp_path: Path) -> Path:
    return _make_split(tmp_path / "dataset")


def test_evaluate_folder_pairs_and_warns(split: Path, tmp_path: Path, caplog) -> None:
    pred_dir = tmp_path / "pred"
    ref1 = _refs(split, "split4_ov1_1")
    ref3 = _refs(split, "split4_ov3_3")
    pred3 = ref3.copy()
    pred3[0, 2] += 2.5  # one row moved 2.5 m away: FP + FN at 2 m
    write_prediction_csv(pred_dir / "label_split4_ov1_1.csv", ref1)
    write_prediction_csv(pred_dir / "label_split4_ov3_3.csv", pred3)
    write_prediction_csv(pred_dir / "label_split9_ov1_1.csv", ref1)  # no such clip
    with caplog.at_level(logging.WARNING, logger="seld.metrics.analysis"):
        res = evaluate_folder(pred_dir, split)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert warnings[0].startswith("1 of 3 clips have no prediction file") and "split4_ov2_2" in warnings[0]
    assert "1 prediction files have no matching label" in warnings[1] and "split9" in warnings[1]
    assert res["missing_predictions"] == ["split4_ov2_2"]
    assert res["unmatched_predictions"] == ["label_split9_ov1_1.csv"]
    ref2 = _refs(split, "split4_ov2_2")
    expected = (
        location_sensitive_detection(ref1, ref1, 10)
        + location_sensitive_detection(np.zeros((0, 5)), ref2, 10)
        + location_sensitive_detection(pred3, ref3, 10)
    )
    assert (res["tp"], res["fp"], res["fn"]) == (expected.tp, expected.fp, expected.fn)
    assert res["tp"] == len(ref1) + len(ref3) - 1 and res["fp"] == 1 and res["fn"] == len(ref2) + 1
    assert res["f_score"] == pytest.approx(expected.f_score)
    a = res["analysis"]
    assert a["n_clips"] == {"overall": 3, "ov1": 1, "ov2": 1, "ov3": 1}
    assert a["seld"]["ov1"]["f_score"] == pytest.approx(1.0)
    assert a["seld"]["ov2"]["tp"] == 0 and a["seld"]["ov2"]["fn"] == len(ref2)
    assert a["doa_only"]["3.0"]["ov3"]["fn"] == 0  # 2.5 m off is a DOA-only hit at 3 m
    assert a["sed_only"]["ov3"]["fn"] == 0


def test_cli_json(split: Path, tmp_path: Path, capsys) -> None:
    pred_dir = tmp_path / "pred"
    for name in LABELS:
        write_prediction_csv(pred_dir / f"label_{name}.csv", _refs(split, name))
    assert main(["evaluate", str(pred_dir), str(split), "--json"]) == 0
    out = capsys.readouterr().out
    res = json.loads(out)
    for key in ("tp", "fp", "fn", "precision", "recall", "f_score", "analysis"):
        assert key in res
    assert res["fp"] == res["fn"] == 0 and res["f_score"] == pytest.approx(1.0)
    assert res["missing_predictions"] == [] and res["unmatched_predictions"] == []
    assert set(res["analysis"]) >= {"seld", "sed_only", "doa_only", "n_clips"}


def test_cli_table_nested_layout_and_options(tmp_path: Path, capsys) -> None:
    split = _make_split(tmp_path / "dataset", nested=True)
    pred_dir = tmp_path / "pred"
    pred_dir.mkdir()
    rc = main(["evaluate", str(pred_dir), str(split), "--threshold", "1.75", "--matching", "optimal"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "3 clips, threshold 1.75 m, matching optimal" in out
    assert "SELD 1.75 m" in out and "SED only" in out and "DOA only 2.5 m" in out and "OV3" in out


def test_errors(split: Path, tmp_path: Path, capsys) -> None:
    with pytest.raises(SeldError, match="prediction folder not found"):
        evaluate_folder(tmp_path / "nope", split)
    empty = tmp_path / "empty"
    (empty / "data").mkdir(parents=True)
    (tmp_path / "pred").mkdir()
    with pytest.raises(SeldError):
        evaluate_folder(tmp_path / "pred", empty)
    assert main(["evaluate", str(tmp_path / "nope"), str(split)]) == 2
    assert "prediction folder not found" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path / "pred"), str(tmp_path / "missing_split")]) == 2
    assert main(["evaluate", str(tmp_path / "pred"), str(split), "--threshold", "0"]) == 2


def test_bad_prediction_file_is_a_user_error(split: Path, tmp_path: Path, capsys) -> None:
    pred_dir = tmp_path / "pred"
    pred_dir.mkdir()
    (pred_dir / "label_split4_ov1_1.csv").write_text("12,3,0,0,0\n", encoding="utf-8")  # frame >= 10
    assert main(["evaluate", str(pred_dir), str(split)]) == 2
    assert "beyond the clip" in capsys.readouterr().err
