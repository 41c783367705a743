"""Multi-ACCDOA with ADPIT (seld.formats.multi_accdoa) against a transcription of the official definitions."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from adpit_reference import (
    MSELossADPIT,
    determine_similar_location,
    flat_clip_output,
    get_adpit_labels_for_file,
    get_multi_accdoa_labels,
    official_output,
    official_rows,
    slots_to_desc,
)
from seld.formats import FORMATS, get_format
from seld.formats.multi_accdoa import CANDIDATES, MultiAccdoaFormat, adpit_targets, decode_multi_accdoa

FMT = MultiAccdoaFormat()


def _random_slots(rng: np.random.Generator, t: int, c: int, p_count=(0.55, 0.2, 0.15, 0.1)) -> tuple:
    """Slot labels with 0-3 instances per (frame, class), contiguous from slot 0, positions 0.5-4 m away."""
    count = rng.choice(4, size=(t, c), p=p_count)
    active = np.arange(3)[None, None] < count[..., None]
    direction = rng.normal(size=(t, c, 3, 3))
    direction /= np.linalg.norm(direction, axis=-1, keepdims=True)
    xyz = (direction * rng.uniform(0.5, 4.0, size=(t, c, 3, 1)) * active[..., None]).astype(np.float32)
    return active, xyz


def _unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    return v / np.linalg.norm(v)


# ------------------------------------------------------------------------------------------------ targets
def test_targets_hand_made() -> None:
    t, c = 3, 4
    active = np.zeros((t, c, 3), dtype=bool)
    xyz = np.zeros((t, c, 3, 3), dtype=np.float32)
    # frame 0: class 1 alone, class 2 twice, class 3 three times (several classes in one frame)
    active[0, 1, 0] = True
    xyz[0, 1, 0] = (2, 0, 0)
    active[0, 2, :2] = True
    xyz[0, 2, 0], xyz[0, 2, 1] = (0, 3, 0), (0, 0, -1)
    active[0, 3] = True
    xyz[0, 3] = [(1, 1, 0), (0, -2, 0), (0, 0, 0.5)]
    # frame 1: class 0 in slots 0 and 2 (a gap): still B0, B1 in slot order
    active[1, 0, [0, 2]] = True
    xyz[1, 0, 0], xyz[1, 0, 2] = (-1, 0, 0), (0, 1, 1)
    out = FMT.targets(active, xyz)
    assert set(out) == {"adpit"}
    y = out["adpit"]
    assert y.dtype == torch.float32 and y.shape == (t, 6, 5, c)
    y = y.numpy()

    def slot(frame, k, cls):
        return y[frame, k, :, cls]

    np.testing.assert_allclose(slot(0, 0, 1), [1, 1, 0, 0, 2])
    np.testing.assert_allclose(slot(0, 1, 2), [1, 0, 1, 0, 3])
    np.testing.assert_allclose(slot(0, 2, 2), [1, 0, 0, -1, 1])
    np.testing.assert_allclose(slot(0, 3, 3), [1, *_unit((1, 1, 0)), math.sqrt(2)], rtol=1e-6)
    np.testing.assert_allclose(slot(0, 4, 3), [1, 0, -1, 0, 2])
    np.testing.assert_allclose(slot(0, 5, 3), [1, 0, 0, 1, 0.5])
    np.testing.assert_allclose(slot(1, 1, 0), [1, -1, 0, 0, 1])
    np.testing.assert_allclose(slot(1, 2, 0), [1, *_unit((0, 1, 1)), math.sqrt(2)], rtol=1e-6)
    # nothing else is set
    expected_nonzero = {(0, 0, 1), (0, 1, 2), (0, 2, 2), (0, 3, 3), (0, 4, 3), (0, 5, 3), (1, 1, 0), (1, 2, 0)}
    f, k, cls = np.nonzero(y[:, :, 0, :])
    assert set(zip(f.tolist(), k.tolist(), cls.tolist(), strict=True)) == expected_nonzero
    assert not y[2].any()
    assert not y[:, :, 1:][y[:, :, :1].repeat(4, axis=2) == 0].any()  # inactive slots are all zero


def test_targets_four_instances_keep_the_first_three() -> None:
    active = np.zeros((1, 2, 4), dtype=bool)
    xyz = np.zeros((1, 2, 4, 3), dtype=np.float32)
    active[0, 1] = True
    xyz[0, 1] = [(1, 0, 0), (0, 2, 0), (0, 0, 3), (4, 0, 0)]
    with pytest.warns(UserWarning, match="clip.csv"):
        y = adpit_targets(active, xyz, path="clip.csv")
    np.testing.assert_allclose(y[0, 3:, :, 1], [[1, 1, 0, 0, 1], [1, 0, 1, 0, 2], [1, 0, 0, 1, 3]])
    assert not y[0, :3].any() and not y[0, :, :, 0].any()


def test_targets_unit_vectors_have_distance_one() -> None:
    active, xyz = _random_slots(np.random.default_rng(3), 20, 13)
    norms = np.linalg.norm(xyz, axis=-1, keepdims=True)
    unit = np.divide(xyz, norms, out=np.zeros_like(xyz), where=norms > 0)
    y = adpit_targets(active, unit)
    on = y[:, :, 0] == 1
    np.testing.assert_allclose(y[:, :, 4][on], 1.0, rtol=1e-6)
    np.testing.assert_array_equal(y[:, :, 4][~on], 0.0)


def test_targets_match_official_labels() -> None:
    rng = np.random.default_rng(0)
    active, xyz = _random_slots(rng, 60, 13)
    ref = get_adpit_labels_for_file(slots_to_desc(active, xyz), 60, 13)
    np.testing.assert_allclose(adpit_targets(active, xyz), ref, atol=1e-6)
    assert (ref[:, 3:, 0].sum() > 0) and (ref[:, 1:3, 0].sum() > 0) and (ref[:, 0, 0].sum() > 0)


def test_targets_reject_wrong_shapes() -> None:
    with pytest.raises(ValueError, match="expected active"):
        adpit_targets(np.zeros((2, 13, 3), bool), np.zeros((2, 13, 3), np.float32))


# --------------------------------------------------------------------------------------------------- loss
def _loss_case(seed: int, realistic: bool, b: int = 3, t: int = 16, c: int = 13) -> tuple:
    """Outputs near a random candidate (so the argmin varies) and ADPIT targets.

    ``realistic``: targets from slot labels (one group per frame and class); otherwise every slot is
    independently active with random values, so that A, B and C groups overlap and every padding term counts.
    """
    rng = np.random.default_rng(seed)
    if realistic:
        y = np.stack([adpit_targets(*_random_slots(rng, t, c)) for _ in range(b)])
    else:
        y = np.zeros((b, t, 6, 5, c), dtype=np.float32)
        y[:, :, :, 0] = rng.random((b, t, 6, c)) < 0.4
        y[:, :, :, 1:4] = rng.normal(size=(b, t, 6, 3, c))
        y[:, :, :, 4] = rng.uniform(0.3, 5.0, size=(b, t, 6, c))
    target = torch.from_numpy(y)
    slots = (target[:, :, :, :1] * target[:, :, :, 1:]).numpy()  # (B, T, 6, 4, C)
    pick = rng.integers(0, 13, size=(b, t, c))
    cand = np.asarray(CANDIDATES)[pick]  # (B, T, C, 3)
    base = np.take_along_axis(slots, cand.transpose(0, 1, 3, 2)[:, :, :, None, :], axis=2)  # (B, T, 3, 4, C)
    out = base + rng.normal(scale=0.3, size=base.shape)
    out[rng.random(size=out.shape) < 0.1] = rng.normal()  # some entries far off
    accdoa = torch.tensor(np.tanh(out[:, :, :, :3]), dtype=torch.float32)
    dist = torch.tensor(out[:, :, :, 3], dtype=torch.float32)
    return accdoa, dist, target


@pytest.mark.parametrize("realistic", [True, False])
@pytest.mark.parametrize("seed", [0, 1])
def test_loss_matches_official(realistic: bool, seed: int) -> None:
    accdoa, dist, target = _loss_case(seed, realistic)
    ref = MSELossADPIT()
    official = ref(official_output(accdoa, dist), target)
    losses = FMT.criterion()({"accdoa": accdoa, "dist": dist}, {"adpit": target})
    assert set(losses) == {"l_sed", "l_doa"} and all(v.dim() == 0 for v in losses.values())
    assert torch.allclose(losses["l_sed"] + losses["l_doa"], official, rtol=0, atol=1e-6)
    # the split at the official argmin: direction entries (axes 0-2 of each track) vs distance (axis 3)
    chosen = torch.stack(ref.last_targets)  # (13, B, T, 12, C)
    best = ref.last_min  # (B, T, C)
    tgt = chosen.gather(0, best[None, :, :, None, :].expand(1, -1, -1, 12, -1))[0]
    sq = (official_output(accdoa, dist).reshape(tgt.shape) - tgt).square()
    is_dist = torch.tensor([axis == 3 for _ in range(3) for axis in range(4)])
    l_sed = sq[:, :, ~is_dist].sum(2).mean() / 12
    l_doa = sq[:, :, is_dist].sum(2).mean() / 12
    assert torch.allclose(losses["l_sed"], l_sed, rtol=0, atol=1e-6)
    assert torch.allclose(losses["l_doa"], l_doa, rtol=0, atol=1e-6)
    # the cases exercise A, B and C candidates
    used = set(best.unique().tolist())
    assert used & {0} and used & set(range(1, 7)) and used & set(range(7, 13))


def test_loss_all_zero_targets_and_outputs() -> None:
    z = torch.zeros(2, 4, 6, 5, 13)
    losses = FMT.criterion()({"accdoa": torch.zeros(2, 4, 3, 3, 13), "dist": torch.zeros(2, 4, 3, 13)}, {"adpit": z})
    assert losses["l_sed"].item() == 0 and losses["l_doa"].item() == 0


def _one_cell(tracks: list[tuple[float, float, float, float]]) -> dict[str, torch.Tensor]:
    v = torch.tensor(tracks, dtype=torch.float32)  # (3, 4)
    return {"accdoa": v[:, :3].reshape(1, 1, 3, 3, 1), "dist": v[:, 3].reshape(1, 1, 3, 1)}


def test_loss_hand_case_best_is_a_swap() -> None:
    # one class with three instances C0, C1, C2; the output has tracks 0 and 1 swapped (C1 C0 C2), with a
    # distance error of 0.5 on track 0 and a direction error of 0.2 (z 0.8 instead of 1) on track 2
    active = np.ones((1, 1, 3), dtype=bool)
    xyz = np.array([[[[1, 0, 0], [0, 2, 0], [0, 0, 3]]]], dtype=np.float32)
    target = FMT.targets(active, xyz)["adpit"][None]
    out = _one_cell([(0, 1, 0, 2.5), (1, 0, 0, 1), (0, 0, 0.8, 3)])
    losses = FMT.criterion()(out, {"adpit": target})
    assert losses["l_sed"].item() == pytest.approx(0.04 / 12, abs=1e-7)
    assert losses["l_doa"].item() == pytest.approx(0.25 / 12, abs=1e-7)
    ref = MSELossADPIT()
    official = ref(official_output(out["accdoa"], out["dist"]), target)
    assert ref.last_min.item() == 9  # C1 C0 C2
    assert official.item() == pytest.approx(0.29 / 12, abs=1e-7)
    # the identity C0 C1 C2 would cost (1 + 1 + 1.5^2) + (1 + 1 + 1^2) + 0.04 over 12 entries
    ident = _one_cell([(1, 0, 0, 1), (0, 1, 0, 2), (0, 0, 1, 3)])
    diff = torch.cat([out["accdoa"] - ident["accdoa"], (out["dist"] - ident["dist"])[:, :, :, None]], 3)
    assert diff.square().sum().item() / 12 == pytest.approx(7.29 / 12, abs=1e-6)


def test_loss_hand_case_two_instances_swapped() -> None:
    # B0 = 2 m along x, B1 = 1 m along y; the output is exactly B1 B0 B0 (candidate 4): zero loss
    active = np.zeros((1, 1, 3), dtype=bool)
    active[0, 0, :2] = True
    xyz = np.array([[[[2, 0, 0], [0, 1, 0], [0, 0, 0]]]], dtype=np.float32)
    target = FMT.targets(active, xyz)["adpit"][None]
    out = _one_cell([(0, 1, 0, 1), (1, 0, 0, 2), (1, 0, 0, 2)])
    losses = FMT.criterion()(out, {"adpit": target})
    assert losses["l_sed"].item() == 0 and losses["l_doa"].item() == 0
    ref = MSELossADPIT()
    assert ref(official_output(out["accdoa"], out["dist"]), target).item() == 0 and ref.last_min.item() == 4


def test_loss_is_differentiable_through_both_outputs() -> None:
    accdoa, dist, target = _loss_case(5, True, b=2, t=6)
    accdoa.requires_grad_(True)
    dist.requires_grad_(True)
    losses = FMT.criterion()({"accdoa": accdoa, "dist": dist}, {"adpit": target})
    losses["l_sed"].backward(retain_graph=True)
    assert accdoa.grad.abs().sum() > 0 and (dist.grad is None or not dist.grad.any())
    losses["l_doa"].backward()
    assert dist.grad.abs().sum() > 0


def test_loss_rejects_mismatched_targets() -> None:
    with pytest.raises(ValueError, match="ADPIT targets"):
        FMT.criterion()(
            {"accdoa": torch.zeros(1, 4, 3, 3, 13), "dist": torch.zeros(1, 4, 3, 13)},
            {"adpit": torch.zeros(1, 4, 6, 5, 14)},
        )


# ----------------------------------------------------------------------------------------------- decoding
def _rotate(v: np.ndarray, deg: float, rng: np.random.Generator) -> np.ndarray:
    """``v`` turned by ``deg`` degrees about a random axis perpendicular to it."""
    u = _unit(v)
    w = np.cross(u, rng.normal(size=3))
    w /= np.linalg.norm(w)
    a = math.radians(deg)
    return np.linalg.norm(v) * (math.cos(a) * u + math.sin(a) * w)


def _random_outputs(seed: int, t: int = 40, c: int = 13) -> tuple[np.ndarray, np.ndarray]:
    """Norms around 0.5; per (frame, class) tracks at 0-30 degrees from a common direction or anywhere."""
    rng = np.random.default_rng(seed)
    accdoa = np.zeros((t, 3, 3, c))
    for f in range(t):
        for k in range(c):
            base = _unit(rng.normal(size=3))
            for track in range(3):
                v = base * rng.uniform(0.3, 0.8)
                accdoa[f, track, :, k] = _rotate(v, rng.uniform(0, 30), rng) if rng.random() < 0.7 else v
                if rng.random() < 0.25:
                    accdoa[f, track, :, k] = _unit(rng.normal(size=3)) * rng.uniform(0.3, 0.8)
    dist = rng.normal(2.0, 1.5, size=(t, 3, c))
    return accdoa, dist


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_decode_matches_official(seed: int) -> None:
    accdoa, dist = _random_outputs(seed)
    flat = flat_clip_output(accdoa, dist)
    rows = decode_multi_accdoa(accdoa, dist, threshold=0.5)
    ref = official_rows(flat, 13)
    assert rows.shape == ref.shape and rows.shape[0] > 100
    np.testing.assert_allclose(rows, ref, rtol=0, atol=1e-6)
    # through the format (float32 posteriors), against the reference on the same float32 values
    post = {"accdoa": torch.tensor(accdoa, dtype=torch.float32), "dist": torch.tensor(dist, dtype=torch.float32)}
    ref32 = official_rows(flat_clip_output(post["accdoa"].double().numpy(), post["dist"].double().numpy()), 13)
    np.testing.assert_allclose(FMT.decode(post, 0.5), ref32, rtol=0, atol=1e-6)
    # every unification branch occurs
    sed0, doa0, _, sed1, doa1, _, sed2, doa2, _ = get_multi_accdoa_labels(flat.copy(), 13)
    sums = set()
    for f in range(flat.shape[0]):
        for k in range(13):
            s01 = determine_similar_location(sed0[f][k], sed1[f][k], doa0[f], doa1[f], k, 15.0, 13)
            s12 = determine_similar_location(sed1[f][k], sed2[f][k], doa1[f], doa2[f], k, 15.0, 13)
            s20 = determine_similar_location(sed2[f][k], sed0[f][k], doa2[f], doa0[f], k, 15.0, 13)
            sums.add((s01, s12, s20) if s01 + s12 + s20 == 1 else min(s01 + s12 + s20, 2))
    assert {0, 2, (1, 0, 0), (0, 1, 0), (0, 0, 1)} <= sums


def _clip(tracks: list[tuple[tuple[float, float, float], float]]) -> dict[str, torch.Tensor]:
    """One frame, one class: three (vector, distance) tracks as posteriors."""
    v = torch.tensor([list(x) for x, _ in tracks], dtype=torch.float64)
    d = torch.tensor([x for _, x in tracks], dtype=torch.float64)
    return {"accdoa": v.reshape(1, 3, 3, 1), "dist": d.reshape(1, 3, 1)}


def _polar(deg: float, norm: float) -> tuple[float, float, float]:
    return (norm * math.cos(math.radians(deg)), norm * math.sin(math.radians(deg)), 0.0)


def test_decode_no_similar_pair() -> None:
    # track 0 active, track 1 below the threshold, track 2 active with a negative distance (-> 0)
    post = _clip([((0.9, 0, 0), 2.0), ((0, 0, 0.3), 3.0), ((0, 0.8, 0), -1.0)])
    np.testing.assert_allclose(FMT.decode(post, 0.5), [[0, 0, 2, 0, 0], [0, 0, 0, 0, 0]], atol=1e-12)
    # a lower threshold makes track 1 active too (emission order 0, 1, 2)
    rows = FMT.decode(post, 0.2)
    np.testing.assert_allclose(rows, [[0, 0, 2, 0, 0], [0, 0, 0, 0, 3], [0, 0, 0, 0, 0]], atol=1e-12)
    # ... and with track 1 along track 2's direction the two are unified: track 0, then their mean
    post = _clip([((0.9, 0, 0), 2.0), ((0, 0.3, 0), 3.0), ((0, 0.8, 0), -1.0)])
    np.testing.assert_allclose(FMT.decode(post, 0.2), [[0, 0, 2, 0, 0], [0, 0, 0, 1.5, 0]], atol=1e-12)


@pytest.mark.parametrize(
    ("pair", "other"),
    [((0, 1), 2), ((1, 2), 0), ((2, 0), 1)],
)
def test_decode_one_similar_pair(pair: tuple[int, int], other: int) -> None:
    # the pair at +-5 degrees about the x axis (distances 2 and 4), the other track along z (1.5 m)
    tracks: list = [None, None, None]
    tracks[pair[0]] = (_polar(5, 0.7), 2.0)
    tracks[pair[1]] = (_polar(-5, 0.7), 4.0)
    tracks[other] = ((0, 0, 0.6), 1.5)
    rows = FMT.decode(_clip(tracks), 0.5)
    np.testing.assert_allclose(rows, [[0, 0, 0, 0, 1.5], [0, 0, 3.0, 0, 0]], atol=1e-12)
    # the other track inactive: only the mean
    tracks[other] = ((0, 0, 0.4), 1.5)
    np.testing.assert_allclose(FMT.decode(_clip(tracks), 0.5), [[0, 0, 3.0, 0, 0]], atol=1e-12)


def test_decode_two_similar_pairs_give_the_mean_of_three() -> None:
    # 0, 10 and 20 degrees: 0~1 and 1~2 are similar, 2~0 is not; equal norms -> mean direction at 10 degrees
    post = _clip([(_polar(0, 0.6), 1.0), (_polar(10, 0.6), 2.0), (_polar(20, 0.6), 6.0)])
    rows = FMT.decode(post, 0.5)
    np.testing.assert_allclose(rows, [[0, 0, *(3.0 * np.array(_polar(10, 1.0)))]], atol=1e-12)
    # all three similar: the same
    post = _clip([(_polar(0, 0.6), 1.0), (_polar(5, 0.6), 2.0), (_polar(10, 0.6), 6.0)])
    np.testing.assert_allclose(FMT.decode(post, 0.5), [[0, 0, *(3.0 * np.array(_polar(5, 1.0)))]], atol=1e-12)


def test_decode_similarity_needs_both_tracks_active() -> None:
    # tracks 0 and 1 point the same way but track 1 is inactive: no unification, track 0 alone
    post = _clip([(_polar(0, 0.7), 2.0), (_polar(1, 0.4), 4.0), ((0, 0, 0.1), 1.0)])
    np.testing.assert_allclose(FMT.decode(post, 0.5), [[0, 0, 2.0, 0, 0]], atol=1e-12)


def test_decode_orders_rows_by_frame_then_class() -> None:
    accdoa = np.zeros((2, 3, 3, 2))
    dist = np.ones((2, 3, 2))
    accdoa[1, 2, :, 0] = (0, 0.9, 0)
    accdoa[1, 0, :, 1] = (0.9, 0, 0)
    accdoa[0, 1, :, 1] = (0, 0, -0.9)
    rows = decode_multi_accdoa(accdoa, dist, 0.5)
    np.testing.assert_allclose(rows, [[0, 1, 0, 0, -1], [1, 0, 0, 1, 0], [1, 1, 1, 0, 0]])
    assert decode_multi_accdoa(np.zeros((0, 3, 3, 13)), np.zeros((0, 3, 13))).shape == (0, 5)


def test_decode_rejects_wrong_shapes() -> None:
    with pytest.raises(ValueError, match="expected accdoa"):
        decode_multi_accdoa(np.zeros((4, 3, 3, 13)), np.zeros((4, 13, 3)))


# ----------------------------------------------------------------------------------- format and model
def _tiny_model():
    from seld.models import CrossStitchSELD

    return CrossStitchSELD(mics=1, channels=(8, 8, 16, 16), temporal_ff=32, num_classes=13, head="multi_accdoa")


def test_registered_and_posteriors_from_inference() -> None:
    from seld.inference.infer import posteriors

    fmt = get_format("multi_accdoa")
    assert isinstance(fmt, MultiAccdoaFormat) and FORMATS["multi_accdoa"] is fmt
    torch.manual_seed(0)
    model = _tiny_model().eval()
    assert model.output_format == "multi_accdoa"
    wave = torch.randn(1, 4, 32000)
    with torch.no_grad():
        raw = model(wave)
        post = posteriors(model, wave)
    assert set(post) == {"accdoa", "dist"} and all(v.dtype == torch.float32 for v in post.values())
    assert post["accdoa"].shape == (1, 10, 3, 3, 13) and post["dist"].shape == (1, 10, 3, 13)
    torch.testing.assert_close(post["accdoa"], raw["accdoa"])  # no squashing: the norm is the activity
    torch.testing.assert_close(post["dist"], raw["dist"])
    clip = {k: v[0] for k, v in post.items()}
    rows = fmt.decode(clip, 0.5)
    ref = official_rows(flat_clip_output(clip["accdoa"].double().numpy(), clip["dist"].double().numpy()), 13)
    assert rows.shape[1] == 5 and len(rows) > 50  # an untrained model: many tracks above the norm 0.5
    np.testing.assert_allclose(rows, ref, rtol=0, atol=1e-6)
    assert ((rows[:, 0] >= 0) & (rows[:, 0] < 10)).all() and ((rows[:, 1] >= 0) & (rows[:, 1] < 13)).all()
    # posteriors are copies; align is the identity; ensemble is the plain mean
    other = {k: v + 1.0 for k, v in clip.items()}
    assert fmt.align(clip, other) is other
    mean = fmt.ensemble([clip, other])
    torch.testing.assert_close(mean["dist"], clip["dist"] + 0.5)
    torch.testing.assert_close(mean["accdoa"], clip["accdoa"] + 0.5)
    copy = fmt.posteriors(clip)
    assert copy["dist"].data_ptr() != clip["dist"].data_ptr()


def test_training_smoke_lowers_the_adpit_loss() -> None:
    torch.manual_seed(0)
    model = _tiny_model()
    rng = np.random.default_rng(0)
    target = torch.stack([FMT.targets(*_random_slots(rng, 10, 13))["adpit"] for _ in range(2)])
    wave = torch.randn(2, 4, 32000)
    criterion = FMT.criterion()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    history = []
    for step in range(30):
        losses = criterion(model(wave), {"adpit": target})
        total = losses["l_sed"] + losses["l_doa"]
        opt.zero_grad()
        total.backward()
        if step == 0:  # both outputs get a gradient: direction rows and distance rows of the head
            grad = model.accdoa_head.weight.grad.reshape(3, 4, 13, -1)
            assert grad[:, :3].abs().sum() > 0 and grad[:, 3].abs().sum() > 0
        opt.step()
        history.append((losses["l_sed"].item(), losses["l_doa"].item()))
    h = np.array(history)
    assert np.isfinite(h).all()
    total = h.sum(1)
    assert total[-5:].mean() < 0.7 * total[0], history
    assert (h[-5:].mean(0) < h[0]).all(), history  # both the direction and the distance terms went down


def test_windowed_inference_of_a_multi_accdoa_model() -> None:
    """Overlapping windows are averaged for any output format (not only formats with a ``sed`` output)."""
    from seld.inference.infer import infer_clip
    from seld.models import CrossStitchSELD

    torch.manual_seed(0)
    model = CrossStitchSELD(mics=1, channels=(8, 8, 16, 16), temporal_ff=32, num_classes=13,
                            head="multi_accdoa").eval()
    wave = torch.randn(4, 25 * 3200)
    windowed = infer_clip(model, wave, window_s=1.0, hop_s=0.5)
    assert windowed["accdoa"].shape == (25, 3, 3, 13) and windowed["dist"].shape == (25, 3, 13)
    one = infer_clip(model, wave[:, : 10 * 3200], window_s=1.0)  # one window: no averaging
    assert torch.allclose(one["accdoa"], infer_clip(model, wave[:, : 10 * 3200], window_s=None)["accdoa"])
