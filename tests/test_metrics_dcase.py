"""DCASE 2023/2024 SELD metrics: hand-computed cases, random cases against the literal transcription of the
official scoring code (tests/dcase_reference.py), jackknife intervals and error reporting."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import dcase_reference as official
from seld.data.dcase_csv import polar_to_cartesian
from seld.errors import DataError
from seld.metrics.dcase import (
    DcaseResult,
    evaluate_dcase,
    jackknife_intervals,
    organize_labels,
    segment_labels,
)

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the oracle's nanmean of all-NaN classes

ATOL = 1e-6


# ----------------------------------------------------------------------------------------------- helpers
def write_csv(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines))
    return path


def ref_line(frame: int, cls: int, az: float, el: float, dist_cm: float | None = 200, track: int = 0) -> str:
    tail = "" if dist_cm is None else f",{dist_cm}"
    return f"{frame},{cls},{track},{az},{el}{tail}"


def pred_line(
    frame: int, cls: int, az: float, el: float, dist_m: float = 2.0, track: int = 0, scale: float = 1.0
) -> str:
    x, y, z = (float(v * scale) for v in polar_to_cartesian(az, el))
    return f"{frame},{cls},{track},{x!r},{y!r},{z!r},{float(dist_m)!r}"


def run(tmp_path: Path, refs: dict[str, list[str]], preds: dict[str, list[str] | None], **kwargs) -> DcaseResult:
    """Write references into one split folder and predictions (None = no file), then evaluate."""
    for name, lines in refs.items():
        write_csv(tmp_path / "ref" / "dev-test-sony" / name, lines)
    (tmp_path / "pred").mkdir(exist_ok=True)
    for name, lines in preds.items():
        if lines is not None:
            write_csv(tmp_path / "pred" / name, lines)
    return evaluate_dcase(tmp_path / "pred", tmp_path / "ref", **kwargs)


def angle(az1: float, el1: float, az2: float, el2: float) -> float:
    a1, e1, a2, e2 = (math.radians(v) for v in (az1, el1, az2, el2))
    return math.degrees(math.acos(math.sin(e1) * math.sin(e2) + math.cos(e1) * math.cos(e2) * math.cos(a1 - a2)))


REF_ONE_SOURCE = [ref_line(f, 1, 10, 0, 200) for f in range(3)]  # frames 0..2: N = 2, frames 0 and 1 scored


# ------------------------------------------------------------------------------------ hand-computed 2024
def test_one_true_positive_2024(tmp_path):
    pred = [pred_line(f, 1, 12, 0, 2.2) for f in range(2)]
    macro = run(tmp_path, {"a.csv": REF_ONE_SOURCE}, {"a.csv": pred})
    assert macro.error_rate == pytest.approx(0.0, abs=ATOL)
    assert macro.f_score == pytest.approx(1 / 13, abs=ATOL)  # F = 1 for class 1, 0 for the 12 absent classes
    assert macro.doa_error == pytest.approx(2.0, abs=ATOL)  # nanmean: absent classes are NaN, not 180
    assert macro.distance_error == pytest.approx(0.2, abs=ATOL)
    assert macro.rde == pytest.approx(0.1, abs=ATOL)
    assert macro.localization_recall == pytest.approx(1 / 13, abs=ATOL)
    seld_1 = (0 + 2 / 180 + 0.1) / 3
    assert macro.seld_score == pytest.approx((12 * 1.0 + seld_1) / 13, abs=ATOL)  # absent class: SELD_c = 1
    pc = macro.per_class
    assert pc is not None and pc["seld_score"][1] == pytest.approx(seld_1, abs=ATOL)
    assert np.isnan(pc["doa_error"][0]) and np.isnan(pc["rde"][12]) and pc["seld_score"][0] == 1.0
    micro = run(tmp_path, {}, {}, average="micro")
    assert micro.f_score == pytest.approx(1.0, abs=ATOL)
    assert micro.seld_score == pytest.approx(seld_1, abs=ATOL)
    assert micro.per_class is None
    js = macro.to_json()
    assert {"f_score", "doa_error", "rde", "seld_score", "per_class"} <= set(js)
    assert js["per_class"]["doa_error"][0] is None  # NaN becomes null in JSON


def test_identical_direction_gives_the_1e_10_angle(tmp_path):
    result = run(tmp_path, {"a.csv": REF_ONE_SOURCE}, {"a.csv": [pred_line(f, 1, 10, 0, 2.0) for f in range(2)]})
    assert result.doa_error == pytest.approx(8.1028e-4, abs=1e-7)
    assert result.rde == pytest.approx(0.0, abs=1e-12)


def test_spatial_false_positive_beyond_20_degrees(tmp_path):
    result = run(tmp_path, {"a.csv": REF_ONE_SOURCE}, {"a.csv": [pred_line(f, 1, 40, 0, 2.0) for f in range(2)]})
    assert result.per_class["f_score"][1] == pytest.approx(0.0, abs=ATOL)  # TP 0, spatial FP 2
    assert result.doa_error == pytest.approx(30.0, abs=ATOL)
    assert result.localization_recall == pytest.approx(1 / 13, abs=ATOL)  # still localized (DE_TP counts it)
    assert result.error_rate == pytest.approx(1.0, abs=ATOL)  # one insertion per frame, 2 references


def test_relative_distance_error_above_one_is_a_false_positive(tmp_path):
    result = run(tmp_path, {"a.csv": REF_ONE_SOURCE}, {"a.csv": [pred_line(f, 1, 10, 0, 5.0) for f in range(2)]})
    assert result.per_class["f_score"][1] == pytest.approx(0.0, abs=ATOL)
    assert result.rde == pytest.approx(1.5, abs=ATOL)
    assert result.distance_error == pytest.approx(3.0, abs=ATOL)
    near = run(tmp_path / "b", {"a.csv": REF_ONE_SOURCE}, {"a.csv": [pred_line(f, 1, 10, 0, 3.9) for f in range(2)]})
    assert near.per_class["f_score"][1] == pytest.approx(1.0, abs=ATOL)  # rde 0.95: a true positive


def test_empty_prediction_file_counts_all_false_negatives(tmp_path):
    for edition in ("dcase2024", "dcase2023"):
        refs = {"a.csv": REF_ONE_SOURCE if edition == "dcase2024" else [ref_line(f, 1, 10, 0, None) for f in range(3)]}
        result = run(tmp_path / edition, refs, {"a.csv": []}, edition=edition)
        assert result.f_score == 0 and result.localization_recall == 0
        assert result.error_rate == pytest.approx(1.0, abs=ATOL)  # all deletions
        assert result.seld_score == pytest.approx(1.0, abs=ATOL)
        if edition == "dcase2024":
            assert np.isnan(result.doa_error)
        else:
            assert result.doa_error == pytest.approx(180.0)


def test_missing_prediction_file_is_skipped(tmp_path):
    busy = [ref_line(f, c, 10 * c, 0, 150) for f in range(30) for c in (0, 4)]
    both = run(tmp_path / "x", {"a.csv": REF_ONE_SOURCE, "b.csv": busy}, {"a.csv": [pred_line(0, 1, 12, 0, 2.2)]})
    alone = run(tmp_path / "y", {"a.csv": REF_ONE_SOURCE}, {"a.csv": [pred_line(0, 1, 12, 0, 2.2)]})
    assert both.n_files == 1
    assert both.to_json() == alone.to_json()  # b.csv's 60 references are not false negatives


def test_last_annotated_frame_is_not_scored(tmp_path):
    ref = [ref_line(f, 0, 0, 0, 100) for f in range(5)]  # frames 0..4: N = 4
    last_only = run(tmp_path / "x", {"a.csv": ref}, {"a.csv": [pred_line(4, 0, 0, 0, 1.0)]}, average="micro")
    assert last_only.f_score == 0  # the prediction at frame 4 is ignored, not a TP
    assert last_only.error_rate == pytest.approx(1.0, abs=ATOL)  # 4 deletions / 4 references
    before = run(tmp_path / "y", {"a.csv": ref}, {"a.csv": [pred_line(3, 0, 0, 0, 1.0)]}, average="micro")
    assert before.f_score == pytest.approx(1 / (1 + 0.5 * 3), abs=ATOL)


def test_duplicate_track_ids_are_all_kept(tmp_path):
    ref = [ref_line(f, 0, az, 0, 200, track=0) for f in range(2) for az in (0, 90)] + [ref_line(2, 5, 0, 0)]
    pred = [pred_line(f, 0, az, 0, 2.0) for f in range(2) for az in (88, 2)]  # baseline style: track 0 twice
    result = run(tmp_path, {"a.csv": ref}, {"a.csv": pred})
    assert result.per_class["f_score"][0] == pytest.approx(1.0, abs=ATOL)  # both sources matched, every frame
    assert result.per_class["doa_error"][0] == pytest.approx(2.0, abs=1e-5)
    assert result.error_rate == pytest.approx(0.0, abs=ATOL)
    frames = organize_labels({0: [[0, 0, 1.0], [0, 0, 2.0], [0, 0, 3.0], [0, -7, 4.0]]}, 1)
    assert list(frames[0][0]) == [0, -1, -2, -7]
    frames = organize_labels({0: [[0, -7, 1.0], [0, -7, 2.0], [0, 3, 3.0]]}, 1)
    assert list(frames[0][0]) == [-7, -8, 3]


# ------------------------------------------------------------------------------------ hand-computed 2023
def test_one_true_positive_2023(tmp_path):
    ref = [ref_line(f, 2, 30, 10, None) for f in range(11)]  # N = 10: one block, frames 0..9
    pred = [pred_line(f, 2, 35, 10, 0.0) for f in range(11)]
    theta = angle(30, 10, 35, 10)
    macro = run(tmp_path, {"a.csv": ref}, {"a.csv": pred}, edition="dcase2023")
    assert macro.error_rate == pytest.approx(0.0, abs=ATOL)
    assert macro.f_score == pytest.approx(1 / 13, abs=ATOL)
    assert macro.doa_error == pytest.approx((theta + 12 * 180) / 13, abs=ATOL)  # absent classes: 180
    assert macro.localization_recall == pytest.approx(1 / 13, abs=ATOL)
    assert macro.seld_score == pytest.approx((12 * 0.75 + theta / 720) / 13, abs=ATOL)
    assert macro.per_class["doa_error"][2] == pytest.approx(theta, abs=ATOL)
    assert macro.distance_error is None and macro.rde is None
    assert set(macro.to_json()) >= {"error_rate", "f_score", "doa_error", "localization_recall", "seld_score"}
    micro = run(tmp_path, {}, {}, edition="dcase2023", average="micro")
    assert (micro.f_score, micro.localization_recall) == pytest.approx((1.0, 1.0), abs=ATOL)
    assert micro.doa_error == pytest.approx(theta, abs=ATOL)
    assert micro.seld_score == pytest.approx(theta / 720, abs=ATOL)


def test_segment_without_common_frame_adds_predicted_tracks_to_false_negatives(tmp_path):
    ref = [ref_line(0, 0, 0, 0, None), ref_line(1, 0, 0, 0, None), ref_line(10, 5, 0, 0, None)]
    pred = [pred_line(f, 0, az, 0) for f in (5, 6) for az in (0, 50)]  # same block, other frames, 2 tracks
    result = run(tmp_path, {"a.csv": ref}, {"a.csv": pred}, edition="dcase2023", average="micro")
    assert result.error_rate == pytest.approx(2.0, abs=ATOL)  # FN += 2 predicted tracks, 1 reference
    assert result.f_score == 0 and result.localization_recall == 0
    assert result.doa_error == 180


def test_last_segment_reaches_past_the_last_annotated_frame(tmp_path):
    ref = [ref_line(f, 0, 0, 0, None) for f in range(15)]  # N = 14: blocks 0..9 and 10..19 (frame 14 included)
    result = run(tmp_path, {"a.csv": ref}, {"a.csv": [pred_line(14, 0, 0, 0)]}, edition="dcase2023", average="micro")
    assert result.f_score == pytest.approx(1 / (1 + 0.5), abs=ATOL)  # block 1 TP, block 0 FN


# ----------------------------------------------------------------------------------- random vs official
def _random_case(rng: np.random.Generator, root: Path, edition: str) -> tuple[Path, Path]:
    """Reference and prediction folders with overlapping same-class sources, errors of every kind."""
    ref_root, pred_dir = root / "ref", root / "pred"
    pred_dir.mkdir(parents=True)
    pool = rng.choice(13, size=int(rng.integers(1, 4)), replace=False)
    n_files = int(rng.integers(1, 5))
    skip = rng.random(n_files) < 0.15
    skip[rng.integers(n_files)] = False  # at least one prediction file
    for i in range(n_files):
        name = f"fold4_room{i}_mix{i:03d}.csv"
        length = int(rng.integers(2, 45))
        rows: list[tuple] = []  # frame, class, track, azimuth, elevation, distance (cm)
        for _ in range(int(rng.integers(1, 6))):
            cls, track = int(rng.choice(pool)), int(rng.integers(0, 3)) if rng.random() < 0.7 else 0
            start = int(rng.integers(0, length))
            az0, el, dist = rng.integers(-180, 180), rng.integers(-60, 61), rng.integers(50, 500)
            drift = rng.integers(-3, 4)
            for f in range(start, min(length, start + int(rng.integers(1, 15)))):
                rows.append((f, cls, track, (az0 + drift * (f - start) + 180) % 360 - 180, el, dist))
        if rng.random() < 0.6:  # 2-3 sources of one class in one frame
            f, cls = int(rng.integers(0, length)), int(pool[0])
            for k in range(int(rng.integers(2, 4))):
                rows.append((f, cls, k, rng.integers(-180, 180), rng.integers(-60, 61), rng.integers(50, 500)))
        rows.sort(key=lambda r: r[0])
        if rng.random() < 0.2:
            rng.shuffle(rows)
        year2024 = edition == "dcase2024"
        with_dist = year2024 or rng.random() < 0.3
        lines = [ref_line(f, c, az, el, d if with_dist else None, track=s) for f, c, s, az, el, d in rows]
        if rng.random() < 0.2:
            lines.append(f"{length + 2},13,0,0,0" + (",100" if year2024 else ""))  # class outside 0..12
        if rng.random() < 0.2:
            lines.append(f"{length + int(rng.integers(1, 12))},1,0,1,2,3,4,5")  # 8 fields: only the frame counts
        write_csv(ref_root / ("dev-test-sony" if i % 2 else "dev-test-tau") / name, lines)
        if skip[i]:
            continue
        if rng.random() < 0.12:
            write_csv(pred_dir / name, [])
            continue
        polar_pred = year2024 and rng.random() < 0.25
        preds = []
        for f, c, _, az, el, d in rows:
            if rng.random() < 0.15:
                continue
            if rng.random() < 0.1:
                f = max(0, f + int(rng.integers(-3, 4)))
            if rng.random() < 0.05:
                c = int(rng.choice(pool))
            big = rng.random() < 0.25
            az = az + (rng.uniform(20, 120) if big else rng.normal(0, 6))
            el = float(np.clip(el + rng.normal(0, 4), -90, 90))
            r = rng.random()  # relative distance errors on both sides of the 1.0 threshold
            factor = rng.uniform(0.7, 1.3) if r < 0.6 else rng.uniform(1.6, 2.4) if r < 0.85 else rng.uniform(2.4, 4)
            dm = d / 100 * factor
            preds.append((f, c, float(az), el, float(dm)))
            if rng.random() < 0.1:
                # the same direction twice: an assignment tie, broken by row order
                preds.append((f, c, float(az), el, float(dm * rng.uniform(0.5, 2))))
        for _ in range(int(rng.integers(0, 5))):
            c = int(rng.choice(pool)) if rng.random() < 0.8 else 13
            preds.append((int(rng.integers(0, length + 4)), c, float(rng.uniform(-180, 180)),
                          float(rng.uniform(-80, 80)), float(rng.uniform(0.3, 5))))
        preds.sort(key=lambda r: r[0])
        lines = []
        for f, c, az, el, dm in preds:
            if polar_pred:
                lines.append(f"{f},{c},0,{az!r},{el!r},{dm!r}")
            elif rng.random() < 0.02:
                lines.append(f"{f},{c},0,0.0,0.0,0.0,{dm!r}")  # zero vector: becomes azimuth 0, elevation 0
            else:
                scale = float(rng.uniform(0.3, 2))
                lines.append(pred_line(f, c, az, el, dm, track=int(rng.integers(0, 2)), scale=scale))
        write_csv(pred_dir / name, lines)
    return pred_dir, ref_root


def _assert_same(result: DcaseResult, expected: tuple) -> None:
    *head, classwise = expected
    got = [getattr(result, name) for name in result.metric_names]
    np.testing.assert_allclose(got, np.array(head, dtype=float), rtol=0, atol=ATOL)
    if result.average == "macro":
        np.testing.assert_allclose(result.classwise, classwise, rtol=0, atol=ATOL)
    else:
        assert result.per_class is None and len(classwise) == 0


@pytest.mark.parametrize("edition", ["dcase2024", "dcase2023"])
@pytest.mark.parametrize("seed", range(40))
def test_random_cases_match_the_official_definitions(tmp_path, seed, edition):
    rng = np.random.default_rng(1000 * seed + (edition == "dcase2023"))
    pred_dir, ref_dir = _random_case(rng, tmp_path, edition)
    for average in ("macro", "micro"):
        result = evaluate_dcase(pred_dir, ref_dir, edition=edition, average=average)
        _assert_same(result, official.official_results(pred_dir, ref_dir, edition, average))


@pytest.mark.parametrize("edition", ["dcase2024", "dcase2023"])
def test_other_class_counts_and_single_frame_references(tmp_path, edition):
    rng = np.random.default_rng(77)
    pred_dir, ref_dir = _random_case(rng, tmp_path / "a", edition)  # has rows of class 13: scored with 14 classes
    for average in ("macro", "micro"):
        result = evaluate_dcase(pred_dir, ref_dir, edition=edition, average=average, num_classes=14)
        _assert_same(result, official.official_results(pred_dir, ref_dir, edition, average, nb_classes=14))
    # A reference annotated at frame 0 only: N = 0, nothing is scored.
    dist = ",200" if edition == "dcase2024" else ""
    pred_dir, ref_dir = tmp_path / "b" / "pred", tmp_path / "b" / "ref"
    write_csv(ref_dir / "s" / "a.csv", [f"0,1,0,10,0{dist}"])
    write_csv(pred_dir / "a.csv", [pred_line(0, 1, 10, 0)])
    for average in ("macro", "micro"):
        result = evaluate_dcase(pred_dir, ref_dir, edition=edition, average=average)
        _assert_same(result, official.official_results(pred_dir, ref_dir, edition, average))
        assert result.error_rate == 0 and result.f_score == 0


@pytest.mark.parametrize(("edition", "average", "seed"), [
    ("dcase2024", "macro", 1), ("dcase2024", "micro", 2), ("dcase2023", "macro", 3), ("dcase2023", "micro", 4),
])
def test_jackknife_matches_direct_leave_one_out(tmp_path, edition, average, seed):
    rng = np.random.default_rng(seed)
    while True:  # a case with at least 3 prediction files
        case = tmp_path / f"case{seed}"
        pred_dir, ref_dir = _random_case(rng, case, edition)
        if len(list(pred_dir.iterdir())) >= 3:
            break
        seed += 100
    result = evaluate_dcase(pred_dir, ref_dir, edition=edition, average=average, jackknife=True)
    expected = official.official_results(pred_dir, ref_dir, edition, average, jackknife=True)
    for name, (value, interval) in zip(result.metric_names, expected[:-1]):
        assert getattr(result, name) == pytest.approx(value, abs=ATOL, nan_ok=True)
        np.testing.assert_allclose(result.confidence_intervals[name], interval, rtol=0, atol=ATOL)
    classwise, class_ci = expected[-1]
    if average == "macro":
        got = np.array([result.per_class_confidence_intervals[name] for name in result.metric_names])
        np.testing.assert_allclose(got, class_ci, rtol=0, atol=ATOL)
    else:
        assert result.per_class_confidence_intervals is None and len(class_ci) == 0
    assert "confidence_intervals" in result.to_json()


def test_jackknife_intervals_formula():
    g = np.array([0.5, 2.0])
    p = np.array([[0.4, 1.0], [0.6, 2.0], [0.55, 4.0]])
    ci = jackknife_intervals(g, p)
    for j in range(2):
        n, m = 3, p[:, j].mean()
        est = g[j] - (n - 1) * (m - g[j])
        se = math.sqrt((n - 1) * np.mean((p[:, j] - m) ** 2))
        t = 4.302652729749  # Student's t, 97.5 %, 2 degrees of freedom
        np.testing.assert_allclose(ci[j], [est - t * se, est + t * se], rtol=1e-10)


@pytest.mark.parametrize("seed", range(3))
def test_organising_matches_the_official_layouts(seed):
    rng = np.random.default_rng(seed)
    labels: dict[int, list[list[float]]] = {}
    for _ in range(60):
        f = int(rng.integers(-2, 40))
        labels.setdefault(f, []).append([int(rng.integers(0, 4)), int(rng.integers(-2, 2)), float(rng.normal())])
    for n in (0, 9, 10, 23, 40):
        assert organize_labels(labels, n) == official.organize_labels(labels, n)
        assert segment_labels(labels, n) == official.segment_labels(labels, n)


# ---------------------------------------------------------------------------------------------- errors
def test_bad_prediction_row_names_file_and_line(tmp_path):
    lines = [pred_line(0, 1, 0, 0), "1,1,0,abc,0.5,0.1,2.0"]
    with pytest.raises(DataError, match=r"pred[/\\]a\.csv: line 2: x field 'abc' is not a number") as err:
        run(tmp_path, {"a.csv": REF_ONE_SOURCE}, {"a.csv": lines})
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(("lines", "line_no"), [
    (["frame,class,track,azimuth,elevation,distance", "0,1,0,10,0,200"], 1),
    (["0,1,0,10,0,200", "", "1,1,0,10,0,200"], 2),
    (["0,1,0,10,0,200", "1.5,1,0,10,0,200"], 2),
])
def test_bad_reference_row_names_file_and_line(tmp_path, lines, line_no):
    with pytest.raises(DataError, match=rf"ref[/\\]dev-test-sony[/\\]a\.csv: line {line_no}: "):
        run(tmp_path, {"a.csv": lines}, {"a.csv": [pred_line(0, 1, 0, 0)]})


def test_prediction_without_reference_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match=r"b\.csv: prediction file has no reference"):
        run(tmp_path, {"a.csv": REF_ONE_SOURCE}, {"a.csv": [], "b.csv": []})


def test_unusable_files_are_data_errors(tmp_path):
    with pytest.raises(DataError, match="reference file has no rows"):
        run(tmp_path / "a", {"a.csv": []}, {"a.csv": []})
    with pytest.raises(DataError, match="without distance"):  # 5-field prediction rows: no distance in 2024
        run(tmp_path / "b", {"a.csv": REF_ONE_SOURCE}, {"a.csv": ["0,1,0,10,0"]})
    with pytest.raises(DataError, match="needs 7-field rows"):  # 2023 converts every prediction from cartesian
        run(tmp_path / "c", {"a.csv": REF_ONE_SOURCE}, {"a.csv": ["0,1,0,10,0,2"]}, edition="dcase2023")
    with pytest.raises(DataError, match="no prediction CSV files"):
        run(tmp_path / "d", {"a.csv": REF_ONE_SOURCE}, {})
    with pytest.raises(DataError, match="reference folder not found"):
        evaluate_dcase(tmp_path / "d" / "pred", tmp_path / "nowhere")
    with pytest.raises(ValueError, match="edition"):
        evaluate_dcase(tmp_path / "d" / "pred", tmp_path / "d" / "ref", edition="dcase2022")  # type: ignore[arg-type]


def test_reference_folder_of_csvs_and_duplicate_names(tmp_path):
    write_csv(tmp_path / "flat" / "a.csv", REF_ONE_SOURCE)
    write_csv(tmp_path / "pred" / "a.csv", [pred_line(0, 1, 12, 0, 2.2)])
    flat = evaluate_dcase(tmp_path / "pred", tmp_path / "flat")
    nested = run(tmp_path / "n", {"a.csv": REF_ONE_SOURCE}, {"a.csv": [pred_line(0, 1, 12, 0, 2.2)]})
    assert flat.to_json() == nested.to_json()
    write_csv(tmp_path / "dup" / "s1" / "a.csv", REF_ONE_SOURCE)
    write_csv(tmp_path / "dup" / "s2" / "a.csv", REF_ONE_SOURCE)
    with pytest.raises(DataError, match="reference file name also used"):
        evaluate_dcase(tmp_path / "pred", tmp_path / "dup")
