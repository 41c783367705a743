"""Calibrated per-class thresholds: per-class count tables add up to direct counts (both metrics), the chosen values
beat the fixed one where they should, and the values travel in the checkpoint to seld predict and seld calibrate."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from seld.checkpoints import stored_thresholds
from seld.cli import main
from seld.data.dcase import DcaseClip
from seld.datasets import ClipRef, get_dataset
from seld.formats import get_format
from seld.inference.thresholds import resolve_thresholds
from seld.training.calibration import calibrate, candidate_grid, choose_thresholds, class_threshold_counts


def _l3das22_case(seed: int, frames: int = 30, classes: int = 14):
    """Random track posteriors and official reference rows (frame, class, x, y, z) near them."""
    rng = np.random.default_rng(seed)
    sed = rng.random((frames, 3, classes)) ** 3  # mostly low, some high
    doa = rng.uniform(-2, 2, (frames, 3, 3))
    ref = []
    for t in range(frames):
        for q in range(3):
            c = int(rng.integers(0, classes))
            if rng.random() < 0.5:
                sed[t, q, c] = rng.uniform(0.2, 1.0)
                jitter = rng.normal(0, 1.0, 3)
                ref.append([t, c, *(doa[t, q] + jitter)])
    post = {"sed": torch.from_numpy(sed).float(), "doa": torch.from_numpy(doa).float()}
    return post, np.asarray(ref, dtype=np.float64).reshape(-1, 5), frames


def _dcase_case(seed: int, tmp: Path, frames: int = 20, classes: int = 13):
    """Random Multi-ACCDOA posteriors and a DCASE 2024 reference read through the dataset format."""
    rng = np.random.default_rng(seed)
    vec = rng.normal(0, 0.4, (frames, 3, 3, classes))
    dist = rng.uniform(0.5, 4, (frames, 3, classes))
    label = tmp / f"ref{seed}.csv"
    with open(label, "w", newline="") as fh:
        w = csv.writer(fh)
        for t in range(frames):
            for c in rng.choice(classes, size=int(rng.integers(1, 3)), replace=False):
                az, el, d = int(rng.integers(-180, 180)), int(rng.integers(-60, 60)), int(rng.integers(50, 400))
                w.writerow([t, int(c), 0, az, el, d])
                u = np.array([np.cos(np.radians(az)) * np.cos(np.radians(el)),
                              np.sin(np.radians(az)) * np.cos(np.radians(el)), np.sin(np.radians(el))])
                vec[t, 0, :, c] = u * rng.uniform(0.2, 1.0)  # an aimed track of varying confidence
                dist[t, 0, c] = d / 100 * rng.uniform(0.7, 1.3)
    clip = ClipRef(label.stem, 0, DcaseClip(label.stem, "dev-test", tmp / "none.wav", label))
    labels = get_dataset("dcase").read_labels(clip, frames)
    post = {"accdoa": torch.from_numpy(vec).float(), "dist": torch.from_numpy(dist).float()}
    return post, labels.reference, frames


@pytest.mark.parametrize("kind", ["l3das22", "dcase"])
def test_count_tables_add_up_to_direct_counts(kind: str, tmp_path: Path) -> None:
    """base + sum over classes of delta[c, g_c] equals decoding with those per-class thresholds and counting."""
    if kind == "l3das22":
        fmt, scorer, classes = get_format("tracks"), get_dataset("l3das22").scorer(), 14
        cases = [_l3das22_case(s) for s in range(3)]
    else:
        fmt, scorer, classes = get_format("multi_accdoa"), get_dataset("dcase").scorer(), 13
        cases = [_dcase_case(s, tmp_path) for s in range(3)]
    posts, refs, frames = (list(x) for x in zip(*cases, strict=True))
    grid = candidate_grid(0.5)
    base, delta = class_threshold_counts(fmt, scorer, posts, refs, frames, classes, grid)
    rng = np.random.default_rng(7)
    for _ in range(5):
        choice = rng.integers(0, len(grid), classes)
        thr = np.asarray(grid)[choice]
        direct = sum((scorer.counts(fmt.decode(p, thr), r, n) for p, r, n in zip(posts, refs, frames, strict=True)),
                     scorer.zeros())
        tables = base + delta[np.arange(classes), choice].sum(0)
        mask = scorer.class_additive()
        np.testing.assert_allclose(tables[mask], direct[mask], atol=1e-9)
        assert scorer.scores(tables)["f_score"] == pytest.approx(scorer.scores(direct)["f_score"], abs=1e-12)
        assert scorer.counts(fmt.decode(posts[0], thr), refs[0], frames[0]).sum() > 0


def test_calibration_finds_the_better_threshold_per_class() -> None:
    """Class 0 is detected only at 0.3 (under-confident): its threshold drops below 0.3. Class 1 has false alarms
    at 0.6 and true events at 0.9: its threshold rises to at least 0.6. Other classes never fire: they keep 0.5."""
    frames, fmt, scorer = 40, get_format("tracks"), get_dataset("l3das22").scorer()
    sed = np.zeros((frames, 3, 14), dtype=np.float32)
    doa = np.zeros((frames, 3, 3), dtype=np.float32)
    ref = []
    for t in range(frames):
        doa[t, 0], doa[t, 1] = (1.0, 0.0, 0.0), (0.0, 1.0, 0.0)
        if t % 2 == 0:
            sed[t, 0, 0] = 0.3  # a true class-0 event, weakly detected
            ref.append([t, 0, 1.0, 0.0, 0.0])
        sed[t, 1, 1] = 0.9 if t % 4 == 0 else 0.6  # class 1: true at 0.9, false alarm at 0.6
        if t % 4 == 0:
            ref.append([t, 1, 0.0, 1.0, 0.0])
    post = {"sed": torch.from_numpy(sed), "doa": torch.from_numpy(doa)}
    cal = calibrate(fmt, scorer, [post], [np.asarray(ref)], [frames], num_classes=14, default=0.5)
    assert cal.thresholds[0] < 0.3 and 0.6 <= cal.thresholds[1] < 0.9
    np.testing.assert_array_equal(cal.thresholds[2:], 0.5)
    assert cal.scores_default["f_score"] < 0.5 and cal.scores_calibrated["f_score"] == pytest.approx(1.0)


def test_choose_thresholds_needs_the_default_on_the_grid() -> None:
    with pytest.raises(ValueError, match="default"):
        choose_thresholds(np.zeros(3), np.zeros((2, 3, 3)), get_dataset("l3das22").scorer(), 0.5, (0.1, 0.2, 0.3))
    assert 0.42 in candidate_grid(0.42)


def test_calibrated_thresholds_travel_from_training_to_predict(tiny_dataset: Path, tmp_path: Path, capsys) -> None:
    from conftest import TINY_MODEL
    from seld.config import load_config
    from seld.training.trainer import train

    cfg = load_config("demo", [*TINY_MODEL, f"data.root={tiny_dataset}", "train.max_epochs=2",
                               "train.calibrate_thresholds=true"])
    result = train(cfg, tmp_path / "run", progress_bar=False)
    assert "calibrated thresholds on" in capsys.readouterr().out
    ckpt = result.best_checkpoint
    values = stored_thresholds(ckpt, 14)
    assert values is not None and values.shape == (14,) and ((values > 0) & (values < 1)).all()
    assert stored_thresholds(result.last_checkpoint) is None  # only the best checkpoint is calibrated
    np.testing.assert_array_equal(resolve_thresholds(None, [ckpt], 0.5, 14), values)
    assert resolve_thresholds("0.3", [ckpt], 0.5, 14) == 0.3
    assert resolve_thresholds(None, [result.last_checkpoint], 0.5, 14) == 0.5  # nothing stored: the fixed value
    dev = tiny_dataset / "L3DAS22_Task2_dev"
    assert main(["predict", str(result.last_checkpoint), str(dev), "--out", str(tmp_path / "p"),
                 "--thresholds", "calibrated"]) == 2
    err = capsys.readouterr().err
    assert "no calibrated thresholds" in err and "last.ckpt" in err and "Traceback" not in err
    assert main(["predict", str(ckpt), str(dev), "--out", str(tmp_path / "p"), "--thresholds", "1.5"]) == 2
    assert "[0, 1]" in capsys.readouterr().err
    # calibrate an uncalibrated checkpoint with the command; JSON names the values
    assert main(["calibrate", str(result.last_checkpoint), "--json", "--no-progress"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert len(out["values"]) == 14 and out["f_calibrated"] >= out["f_default"]
    np.testing.assert_array_equal(stored_thresholds(result.last_checkpoint), out["values"])
    # predicting with the calibrated values equals predicting with them given by hand (per class)
    assert main(["predict", str(ckpt), str(dev), "--out", str(tmp_path / "cal"), "--thresholds", "calibrated"]) == 0
    assert main(["predict", str(ckpt), str(dev), "--out", str(tmp_path / "auto")]) == 0
    for f in sorted((tmp_path / "cal").glob("*.csv")):
        assert f.read_bytes() == (tmp_path / "auto" / f.name).read_bytes()
