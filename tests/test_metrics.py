"""Tests of the L3DAS22 location-sensitive metric (official and optimal matching) and the error analysis."""

from __future__ import annotations

import itertools
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seld.metrics import Counts, error_analysis, evaluate_clips, location_sensitive_detection, prf

EPS = sys.float_info.epsilon


# ------------------------------------------------------------------------------------ references
def _official_reference(pred, true, n_frames, spatial_threshold=2.0):
    """Straightforward per-frame loop of the official L3DAS22 ``location_sensitive_detection``."""
    tp = fp = fn = 0
    frames = {i: {"p": [], "t": []} for i in range(n_frames)}
    for row in pred:
        frames[int(row[0])]["p"].append(np.asarray(row, dtype=np.float64))
    for row in true:
        frames[int(row[0])]["t"].append(np.asarray(row, dtype=np.float64))
    for frame in range(n_frames):
        t, p = frames[frame]["t"], frames[frame]["p"]
        if len(t) == 0:
            fp += len(p)
        elif len(p) == 0:
            fn += len(t)
        else:
            matched_t, matched_p = set(), set()
            for i_t, tr in enumerate(t):
                for i_p, pr in enumerate(p):
                    spat_error = np.linalg.norm(tr[-3:] - pr[-3:])
                    if tr[1] == pr[1] and spat_error < spatial_threshold:
                        matched_t.add(i_t)
                        matched_p.add(i_p)
            matched = min(len(matched_p), len(matched_t))
            tp += matched
            fn += len(t) - matched
            fp += len(p) - matched
    return tp, fp, fn


def _optimal_reference(pred, true, n_frames, threshold=2.0):
    """Maximum one-to-one matching per frame by brute force over assignments."""
    tp = fp = fn = 0
    for frame in range(n_frames):
        t = [np.asarray(r, float) for r in true if int(r[0]) == frame]
        p = [np.asarray(r, float) for r in pred if int(r[0]) == frame]
        ok = [[a[1] == b[1] and np.linalg.norm(a[2:] - b[2:]) < threshold for b in p] for a in t]
        best = 0
        if t and p:
            small, large = (len(t), len(p))
            if small <= large:
                for perm in itertools.permutations(range(large), small):
                    best = max(best, sum(ok[i][perm[i]] for i in range(small)))
            else:
                for perm in itertools.permutations(range(small), large):
                    best = max(best, sum(ok[perm[j]][j] for j in range(large)))
        tp += best
        fn += len(t) - best
        fp += len(p) - best
    return tp, fp, fn


def _rows(*rows) -> np.ndarray:
    return np.array(rows, dtype=np.float64).reshape(-1, 5)


# ------------------------------------------------------------------------------------ hand cases
def test_fp_only_and_fn_only_frames() -> None:
    pred = _rows([0, 1, 0, 0, 0], [0, 2, 0, 0, 0])
    ref = _rows([1, 1, 0, 0, 0], [1, 3, 1, 1, 0], [1, 4, 1, 1, 0])
    for matching in ("official", "optimal"):
        c = location_sensitive_detection(pred, ref, 3, matching=matching)
        assert c == Counts(tp=0, fp=2, fn=3)


def test_empty_inputs() -> None:
    assert location_sensitive_detection(np.zeros((0, 5)), [], 300) == Counts(0, 0, 0)
    ref = _rows([5, 0, 0, 0, 0])
    assert location_sensitive_detection([], ref, 300) == Counts(0, 0, 1)
    assert location_sensitive_detection(ref, [], 300) == Counts(0, 1, 0)


def test_perfect_match() -> None:
    ref = _rows([0, 1, 1.0, 0.5, 0.0], [0, 1, -1.0, 0.5, 0.0], [2, 13, 0.0, 0.0, 0.9])
    for matching in ("official", "optimal"):
        assert location_sensitive_detection(ref, ref, 3, matching=matching) == Counts(3, 0, 0)


@pytest.mark.parametrize("offset", [(2.0, 0, 0), (0, -2.0, 0), (0, 0, 2.0)])
def test_distance_equal_to_threshold_is_not_a_match(offset) -> None:
    ref = _rows([0, 4, 0.0, 0.0, 0.0])
    pred = _rows([0, 4, *offset])
    assert location_sensitive_detection(pred, ref, 1) == Counts(tp=0, fp=1, fn=1)
    assert location_sensitive_detection(pred, ref, 1, threshold=2.0 + 1e-9) == Counts(1, 0, 0)
    assert location_sensitive_detection(pred, ref, 1, threshold=1.75) == Counts(0, 1, 1)


def test_class_mismatch() -> None:
    ref = _rows([0, 4, 0.0, 0.0, 0.0])
    pred = _rows([0, 5, 0.0, 0.0, 0.0])
    assert location_sensitive_detection(pred, ref, 1) == Counts(0, 1, 1)
    # Switches of the error analysis.
    assert location_sensitive_detection(pred, ref, 1, class_agnostic=True) == Counts(1, 0, 0)
    far = _rows([0, 4, 0.0, 0.0, 3.0])
    assert location_sensitive_detection(far, ref, 1) == Counts(0, 1, 1)
    assert location_sensitive_detection(far, ref, 1, ignore_location=True) == Counts(1, 0, 0)
    assert location_sensitive_detection(pred, ref, 1, ignore_location=True) == Counts(0, 1, 1)


def test_official_exceeds_optimal() -> None:
    # r0 matches p0, p1 and p2; r1 and r2 match p0 only: 3 distinct refs and preds in pairs, so the
    # official M is 3, but a one-to-one matching has only 2 pairs (vertex cover {r0, p0}).
    ref = _rows([0, 7, 0.0, 0.0, 0.0], [0, 7, 1.5, 0.0, 0.0], [0, 7, 0.0, 1.5, 0.0])
    pred = _rows([0, 7, 0.1, 0.0, 0.0], [0, 7, -1.5, 0.0, 0.0], [0, 7, 0.0, -1.5, 0.0])
    official = location_sensitive_detection(pred, ref, 1, matching="official")
    optimal = location_sensitive_detection(pred, ref, 1, matching="optimal")
    assert official == Counts(tp=3, fp=0, fn=0)
    assert optimal == Counts(tp=2, fp=1, fn=1)
    assert _official_reference(pred, ref, 1) == (3, 0, 0)
    assert _optimal_reference(pred, ref, 1) == (2, 1, 1)


def test_many_to_one_equal_when_a_matching_exists() -> None:
    # Both predictions match ref 0 only; ref 1 matches pred 0 only: official 2 = optimal 2 (r0-p1, r1-p0).
    ref = _rows([0, 2, 0.0, 0.0, 0.0], [0, 2, 1.8, 0.0, 0.0])
    pred = _rows([0, 2, 0.5, 0.0, 0.0], [0, 2, -1.0, 0.0, 0.0])
    assert location_sensitive_detection(pred, ref, 1, matching="official") == Counts(2, 0, 0)
    assert location_sensitive_detection(pred, ref, 1, matching="optimal") == Counts(2, 0, 0)
    # Two predictions on one reference: one TP, one FP in both modes.
    ref1 = _rows([0, 2, 0.0, 0.0, 0.0])
    assert location_sensitive_detection(pred, ref1, 1, matching="official") == Counts(1, 1, 0)
    assert location_sensitive_detection(pred, ref1, 1, matching="optimal") == Counts(1, 1, 0)


def test_homogeneous_overlap_one_to_one() -> None:
    # Two events of the same class, predicted at the right places: both modes agree.
    ref = _rows([3, 9, 1.0, 1.0, 0.0], [3, 9, -1.0, -1.0, 0.0])
    pred = _rows([3, 9, -0.9, -1.1, 0.1], [3, 9, 1.1, 0.9, 0.0])
    for matching in ("official", "optimal"):
        assert location_sensitive_detection(pred, ref, 5, matching=matching) == Counts(2, 0, 0)


def test_invalid_rows() -> None:
    with pytest.raises(ValueError, match="outside"):
        location_sensitive_detection(_rows([300, 0, 0, 0, 0]), [], 300)
    with pytest.raises(ValueError, match="integers"):
        location_sensitive_detection(_rows([1.5, 0, 0, 0, 0]), [], 300)
    with pytest.raises(ValueError, match="K, 5"):
        location_sensitive_detection(np.zeros((2, 4)), [], 300)
    with pytest.raises(ValueError, match="matching"):
        location_sensitive_detection([], [], 10, matching="hungarian")


def test_counts_add_and_prf() -> None:
    a, b = Counts(1, 2, 3), Counts(4, 5, 6)
    assert a + b == Counts(5, 7, 9)
    assert sum([a, b]) == Counts(5, 7, 9)
    p, r, f = prf(Counts(tp=6, fp=2, fn=4))
    assert p == 6 / (8 + EPS)
    assert r == 6 / (10 + EPS)
    assert f == 2 * ((p * r) / (p + r + EPS))
    assert f == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert prf(Counts()) == (0.0, 0.0, 0.0)
    assert prf(Counts(5, 0, 0))[2] == pytest.approx(1.0)
    d = Counts(6, 2, 4).to_dict()
    assert set(d) == {"tp", "fp", "fn", "precision", "recall", "f_score"}
    assert d["f_score"] == f == Counts(6, 2, 4).f_score


# ------------------------------------------------------------------------------------ random/property
def _random_clip(rng: np.random.Generator, n_frames: int, max_rows: int, n_classes: int = 3):
    def make() -> np.ndarray:
        per_frame = rng.integers(0, max_rows + 1, size=n_frames)
        frames = np.repeat(np.arange(n_frames), per_frame)
        k = len(frames)
        rows = np.empty((k, 5))
        rows[:, 0] = frames
        rows[:, 1] = rng.integers(0, n_classes, size=k)
        rows[:, 2:] = rng.integers(-4, 5, size=(k, 3)) * 0.5  # a grid: exact-threshold distances occur
        return rows[rng.permutation(k)]

    return make(), make()


@pytest.mark.parametrize("seed", range(5))
def test_official_matches_reference_on_random_data(seed: int) -> None:
    rng = np.random.default_rng(seed)
    pred, ref = _random_clip(rng, 60, 4)
    for thr in (1.0, 1.5, 2.0):
        got = location_sensitive_detection(pred, ref, 60, threshold=thr)
        assert (got.tp, got.fp, got.fn) == _official_reference(pred, ref, 60, thr)
        opt = location_sensitive_detection(pred, ref, 60, threshold=thr, matching="optimal")
        assert (opt.tp, opt.fp, opt.fn) == _optimal_reference(pred, ref, 60, thr)


_coord = st.sampled_from([-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0])
_row = st.tuples(st.integers(0, 4), st.integers(0, 2), _coord, _coord, _coord)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pred=st.lists(_row, max_size=14),
    ref=st.lists(_row, max_size=14),
    threshold=st.sampled_from([0.5, 1.0, 1.75, 2.0, 3.0]),
    seed=st.integers(0, 2**16),
)
def test_metric_properties(pred, ref, threshold, seed) -> None:
    pred_a, ref_a = _rows(*pred), _rows(*ref)
    official = location_sensitive_detection(pred_a, ref_a, 5, threshold=threshold)
    optimal = location_sensitive_detection(pred_a, ref_a, 5, threshold=threshold, matching="optimal")
    assert (official.tp, official.fp, official.fn) == _official_reference(pred_a, ref_a, 5, threshold)
    assert (optimal.tp, optimal.fp, optimal.fn) == _optimal_reference(pred_a, ref_a, 5, threshold)
    assert optimal.tp <= official.tp
    for c in (official, optimal):
        assert c.tp + c.fp == len(pred) and c.tp + c.fn == len(ref)
        p, r, f = prf(c)
        assert 0.0 <= p <= 1.0 and 0.0 <= r <= 1.0 and 0.0 <= f <= 1.0
    rng = np.random.default_rng(seed)
    for matching, expected in (("official", official), ("optimal", optimal)):
        shuffled = location_sensitive_detection(
            pred_a[rng.permutation(len(pred_a))],
            ref_a[rng.permutation(len(ref_a))],
            5,
            threshold=threshold,
            matching=matching,
        )
        assert shuffled == expected
    # Dropping the class or the location can only add matches.
    assert location_sensitive_detection(pred_a, ref_a, 5, threshold=threshold, class_agnostic=True).tp >= official.tp
    assert location_sensitive_detection(pred_a, ref_a, 5, threshold=threshold, ignore_location=True).tp >= official.tp


def test_evaluate_clips_is_the_sum_of_files() -> None:
    rng = np.random.default_rng(11)
    clips = [(*_random_clip(rng, n, 3), n) for n in (10, 30, 7)]
    total = sum(location_sensitive_detection(p, r, n) for p, r, n in clips)
    assert evaluate_clips(clips) == total
    assert evaluate_clips([]) == Counts()


@pytest.mark.parametrize("block_rows", [1, 500, 8_192, 10**9])
def test_150_clips_stacked_equals_per_file(block_rows: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """An L3DAS22-sized set (150 clips x 300 frames, 14 classes): stacked (in blocks of any size), per
    file and optimal agree."""
    import seld.metrics.location_sensitive as ls

    monkeypatch.setattr(ls, "_BLOCK_ROWS", block_rows)
    rng = np.random.default_rng(0)
    clips = [(*_random_clip(rng, 300, 3, n_classes=14), 300, 1 + i % 3) for i in range(150)]
    counts = evaluate_clips([(p, r, n) for p, r, n, _ in clips])
    opt = evaluate_clips([(p, r, n) for p, r, n, _ in clips], matching="optimal")
    per_file = sum(location_sensitive_detection(p, r, n) for p, r, n, _ in clips)
    assert per_file == counts and opt.tp <= counts.tp
    assert counts.tp > 0 and counts.fp > 0 and counts.fn > 0  # the data exercises every branch
    by_ov = error_analysis(clips)["seld"]
    assert sum(_c(by_ov[k])[0] for k in ("ov1", "ov2", "ov3")) == counts.tp


@pytest.mark.parametrize("classes", [(0.5, 1.5, 2.5), (0.0, 1e9, -3e9), (3.0, 3.25, 7.0)])
def test_official_with_unusual_class_values(classes) -> None:
    """Class values that are not small integers (fractional, huge, negative) still match by equality."""
    rng = np.random.default_rng(3)
    pred, ref = _random_clip(rng, 40, 4, n_classes=3)
    table = np.asarray(classes)
    pred[:, 1], ref[:, 1] = table[pred[:, 1].astype(int)], table[ref[:, 1].astype(int)]
    for thr in (1.0, 2.0):
        got = location_sensitive_detection(pred, ref, 40, threshold=thr)
        assert (got.tp, got.fp, got.fn) == _official_reference(pred, ref, 40, thr)
    assert evaluate_clips([(pred, ref, 40), (ref, pred, 40)]) == (
        location_sensitive_detection(pred, ref, 40) + location_sensitive_detection(ref, pred, 40))


@pytest.mark.parametrize("block_rows", [1, 8_192])
def test_evaluate_clips_names_the_bad_clip(block_rows: int, monkeypatch: pytest.MonkeyPatch) -> None:
    import seld.metrics.location_sensitive as ls

    monkeypatch.setattr(ls, "_BLOCK_ROWS", block_rows)  # 1: every clip is its own block
    good = (_rows([0, 1, 0, 0, 0]), _rows([0, 1, 0, 0, 0]), 5)
    with pytest.raises(ValueError, match="references of clip 1: frame 5 outside 0..4"):
        evaluate_clips([good, (_rows([0, 1, 0, 0, 0]), _rows([5, 1, 0, 0, 0]), 5)])
    with pytest.raises(ValueError, match="predictions of clip 2: non-finite"):
        evaluate_clips([good, good, (_rows([0, 1, np.nan, 0, 0]), _rows(), 5)])
    with pytest.raises(ValueError, match="predictions of clip 0: expected a .K, 5. array"):
        evaluate_clips([(np.zeros((1, 4)), _rows(), 5)])
    pred = _rows([4, 1, 0, 0, 0])
    evaluate_clips([good, (pred, _rows(), 5)])
    assert pred[0, 0] == 4  # the caller's rows are not shifted by the stacking


# ------------------------------------------------------------------------------------ analysis
def _hand_clips():
    clip_a = (  # OV1, 3 frames
        _rows([0, 1, 0.5, 0, 0], [1, 2, 2.2, 0, 0], [2, 3, 0, 0, 0]),
        _rows([0, 1, 0, 0, 0], [1, 1, 0, 0, 0]),
        3,
        1,
    )
    clip_b = (  # OV2, 2 frames
        _rows([0, 0, 0, 0, 1.5], [0, 5, 1, 1, 0]),
        _rows([0, 0, 0, 0, 0], [0, 4, 1, 1, 0], [1, 0, 0, 0, 0]),
        2,
        2,
    )
    return [clip_a, clip_b]


def _c(entry) -> tuple[int, int, int]:
    return entry["tp"], entry["fp"], entry["fn"]


def test_error_analysis_by_hand() -> None:
    res = error_analysis(_hand_clips())
    assert res["n_clips"] == {"overall": 2, "ov1": 1, "ov2": 1, "ov3": 0}
    assert _c(res["seld"]["overall"]) == (2, 3, 3)
    assert _c(res["seld"]["ov1"]) == (1, 2, 1)
    assert _c(res["seld"]["ov2"]) == (1, 1, 2)
    assert _c(res["seld"]["ov3"]) == (0, 0, 0)
    assert res["seld"]["overall"]["f_score"] == pytest.approx(0.4)
    assert res["seld"]["ov1"]["f_score"] == pytest.approx(0.4)
    assert res["seld"]["ov3"]["f_score"] == 0.0
    assert _c(res["sed_only"]["overall"]) == (2, 3, 3)
    doa = res["doa_only"]
    assert list(doa) == ["1.0", "1.5", "2.0", "2.5", "3.0"]
    assert _c(doa["1.0"]["overall"]) == (2, 3, 3)
    assert _c(doa["1.5"]["overall"]) == (2, 3, 3)
    assert _c(doa["1.5"]["ov2"]) == (1, 1, 2)
    assert _c(doa["2.0"]["overall"]) == (3, 2, 2)
    assert _c(doa["2.0"]["ov2"]) == (2, 0, 1)
    assert _c(doa["2.5"]["overall"]) == (4, 1, 1)
    assert _c(doa["2.5"]["ov1"]) == (2, 1, 0)
    assert doa["3.0"]["overall"]["f_score"] == pytest.approx(0.8)
    assert res["threshold"] == 2.0 and res["matching"] == "official"


def test_error_analysis_sed_only_ignores_location() -> None:
    # A right class far away: SELD miss, SED-only hit, DOA-only miss until 3 m.
    clips = [(_rows([0, 3, 0, 0, 2.5]), _rows([0, 3, 0, 0, 0]), 1, 3)]
    res = error_analysis(clips)
    assert _c(res["seld"]["ov3"]) == (0, 1, 1)
    assert _c(res["sed_only"]["ov3"]) == (1, 0, 0)
    assert _c(res["doa_only"]["2.5"]["overall"]) == (0, 1, 1)
    assert _c(res["doa_only"]["3.0"]["overall"]) == (1, 0, 0)


def _random_ov_clips(seed: int, n_classes: int = 14):
    rng = np.random.default_rng(seed)
    clips = []
    for i in range(int(rng.integers(1, 6))):
        n = int(rng.integers(1, 50))
        pred, ref = _random_clip(rng, n, int(rng.integers(1, 5)), n_classes=n_classes)
        if rng.random() < 0.2:  # files without predictions or without references
            pred = pred[:0] if rng.random() < 0.5 else pred
            ref = ref[:0] if len(pred) else ref
        clips.append((pred, ref, n, 1 + (i + seed) % 3))
    return clips


@pytest.mark.parametrize("seed", range(12))
def test_error_analysis_equals_the_metric_per_file(seed: int) -> None:
    """The analysis' counts (SELD, SED-only, DOA-only; overall and per OV) are the metric summed over the
    same files: the two paths share one official counting routine and must not drift apart."""
    clips = _random_ov_clips(seed, n_classes=3 if seed % 2 else 14)
    res = error_analysis(clips, threshold=2.0 if seed % 3 else 1.0)
    thr = res["threshold"]

    def metric(ov=None, **kw) -> tuple[int, int, int]:
        c = sum((location_sensitive_detection(p, r, n, **kw) for p, r, n, g in clips if ov in (None, g)), Counts())
        return c.tp, c.fp, c.fn

    assert _c(res["seld"]["overall"]) == metric(threshold=thr)
    assert _c(res["seld"]["overall"]) == _official_reference(*_stacked(clips), thr)
    for ov in (1, 2, 3):
        assert _c(res["seld"][f"ov{ov}"]) == metric(ov, threshold=thr)
        assert _c(res["sed_only"][f"ov{ov}"]) == metric(ov, threshold=thr, ignore_location=True)
    assert _c(res["sed_only"]["overall"]) == metric(threshold=thr, ignore_location=True)
    for t, entry in res["doa_only"].items():
        assert _c(entry["overall"]) == metric(threshold=float(t), class_agnostic=True)
    total = evaluate_clips([(p, r, n) for p, r, n, _ in clips], threshold=thr)
    assert _c(res["seld"]["overall"]) == (total.tp, total.fp, total.fn)


def _stacked(clips):
    """All files as one: frames offset, for the per-frame reference loop."""
    offsets = np.cumsum([0] + [n for _, _, n, _ in clips])
    pred = np.concatenate([p + [o, 0, 0, 0, 0] for (p, _, _, _), o in zip(clips, offsets)])
    ref = np.concatenate([r + [o, 0, 0, 0, 0] for (_, r, _, _), o in zip(clips, offsets)])
    return pred, ref, int(offsets[-1])


def test_frame_pairs_official_per_frame() -> None:
    """FramePairs' official per-frame counts equal the reference loop frame by frame."""
    from seld.metrics import FramePairs

    rng = np.random.default_rng(5)
    pred, ref = _random_clip(rng, 30, 4)
    pairs = FramePairs(pred, ref, 30)
    tp, fp, fn = pairs.frame_counts(1.5)
    for f in range(30):
        in_f = (pred[pred[:, 0] == f], ref[ref[:, 0] == f])
        assert (tp[f], fp[f], fn[f]) == _official_reference(*in_f, 30, 1.5)
    assert tp.dtype == fp.dtype == fn.dtype == np.int64


def test_error_analysis_json_ready_and_empty() -> None:
    import json

    res = error_analysis(_hand_clips(), matching="optimal")
    assert json.loads(json.dumps(res)) == res
    empty = error_analysis([])
    assert _c(empty["seld"]["overall"]) == (0, 0, 0)


@pytest.mark.parametrize("size", [(4, 6), (6, 6), (7, 3), (12, 13)])
def test_maximum_matching_against_scipy(size) -> None:
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import maximum_bipartite_matching

    from seld.metrics.location_sensitive import _maximum_matching

    rng = np.random.default_rng(sum(size))
    match = rng.random((200, *size)) < rng.uniform(0.1, 0.7, size=(200, 1, 1))
    official = np.minimum(match.any(axis=1).sum(axis=1), match.any(axis=2).sum(axis=1))
    got = _maximum_matching(match)
    for frame, value in zip(match, got):
        expected = int((maximum_bipartite_matching(csr_matrix(frame), perm_type="column") >= 0).sum())
        assert value == expected
    assert np.all(got <= official)
