"""FOA spatial augmentation: plane waves follow their labels, the 16 patterns form a group, every output format's
targets turn with the sound field, and a training step with augmentation runs."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from seld.config import load_config
from seld.data.foa_augment import acs_matrices, random_matrices, rotation_z, transform_foa, transform_points
from seld.errors import ConfigError
from seld.features.logmel_iv import LogMelIV
from seld.formats import get_format

SR = 32_000


def _plane_wave(s: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """SN3D first-order encoding of ``s`` arriving from unit ``direction`` (x, y, z), ACN order W, Y, Z, X."""
    x, y, z = direction
    return np.stack([s, y * s, z * s, x * s]).astype(np.float32)


def _intensity_direction(wave: torch.Tensor) -> np.ndarray:
    """Mean intensity-vector direction of a (4, N) recording, from the project's feature extractor."""
    iv = LogMelIV(mics=1)(wave[None])[0, 4:7].mean(dim=(1, 2)).numpy()
    return iv / np.linalg.norm(iv)


def _is_in(m: np.ndarray, table: np.ndarray) -> bool:
    return bool(np.any(np.all(np.abs(table - m) < 1e-12, axis=(1, 2))))


def test_acs_patterns_are_a_group_of_16_signed_permutations() -> None:
    table = acs_matrices()
    assert table.shape == (16, 3, 3)
    np.testing.assert_array_equal(table[0], np.eye(3))
    assert set(np.unique(table)) <= {-1.0, 0.0, 1.0}
    assert len({m.tobytes() for m in table}) == 16  # all distinct
    for m in table:
        np.testing.assert_allclose(m @ m.T, np.eye(3), atol=1e-12)  # orthogonal
        assert _is_in(m.T, table)  # the inverse is a pattern
        assert abs(m[2, 0]) + abs(m[2, 1]) + abs(m[0, 2]) + abs(m[1, 2]) == 0  # z stays vertical
    for a, b in itertools.product(table, table):
        assert _is_in(a @ b, table)  # closed under composition


def test_acs_patterns_are_the_16_azimuth_elevation_maps() -> None:
    """Each pattern maps (phi, theta) to (+-phi + k * 90 deg, +-theta), and all 16 combinations occur."""
    phi, theta = math.radians(20.0), math.radians(35.0)
    d = np.array([math.cos(phi) * math.cos(theta), math.sin(phi) * math.cos(theta), math.sin(theta)])
    found = set()
    for m in acs_matrices():
        v = m @ d
        az = math.degrees(math.atan2(v[1], v[0]))
        el = math.degrees(math.asin(v[2]))
        for sign, k in itertools.product((1, -1), range(4)):
            if abs((az - (sign * 20.0 + 90.0 * k) + 180.0) % 360.0 - 180.0) < 1e-9:
                assert abs(abs(el) - 35.0) < 1e-9
                found.add((sign, k, el > 0))
    assert len(found) == 16


def test_rotations_compose_and_invert() -> None:
    a, b = 0.7, -2.1
    np.testing.assert_allclose(rotation_z(a) @ rotation_z(b), rotation_z(a + b), atol=1e-12)
    np.testing.assert_allclose(rotation_z(a) @ rotation_z(-a), np.eye(3), atol=1e-12)
    g = torch.Generator().manual_seed(0)
    for kind in ("acs", "rotate", "acs_rotate"):
        m = random_matrices(kind, 64, generator=g).double()
        torch.testing.assert_close(m @ m.transpose(1, 2), torch.eye(3, dtype=torch.float64).expand(64, 3, 3),
                                   atol=1e-6, rtol=0)
        det = torch.linalg.det(m)
        assert torch.allclose(det.abs(), torch.ones(64, dtype=torch.float64), atol=1e-6)
        if kind == "rotate":
            assert torch.allclose(det, torch.ones(64, dtype=torch.float64), atol=1e-6)
            assert torch.allclose(m[:, 2], torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64))  # about z only
    torch.testing.assert_close(random_matrices("none", 3), torch.eye(3).expand(3, 3, 3))
    with pytest.raises(ValueError, match="unknown FOA augmentation"):
        random_matrices("tilt", 1)


@pytest.mark.parametrize("source", [(40.0, 25.0), (-130.0, -50.0), (95.0, 5.0)])
def test_plane_wave_intensity_follows_every_transform(source: tuple[float, float]) -> None:
    az, el = map(math.radians, source)
    d = np.array([math.cos(az) * math.cos(el), math.sin(az) * math.cos(el), math.sin(el)])
    s = np.random.default_rng(0).standard_normal(SR // 4)
    wave = torch.from_numpy(_plane_wave(s, d))
    np.testing.assert_allclose(_intensity_direction(wave), d, atol=1e-4)
    mats = torch.cat([torch.from_numpy(acs_matrices()).float(),
                      random_matrices("acs_rotate", 8, generator=torch.Generator().manual_seed(3))])
    turned = transform_foa(wave[None].expand(len(mats), 4, -1), mats)
    label = transform_points(torch.from_numpy(d).float()[None].expand(len(mats), 3), mats).numpy()
    for k in range(len(mats)):
        np.testing.assert_allclose(_intensity_direction(turned[k]), label[k], atol=1e-4)
        torch.testing.assert_close(turned[k, 0], wave[0])  # W untouched
    # the applied transform equals encoding the turned direction directly
    direct = torch.from_numpy(_plane_wave(s, label[5]))
    torch.testing.assert_close(turned[5], direct, atol=1e-5, rtol=1e-5)


def test_transform_foa_needs_one_microphone() -> None:
    with pytest.raises(ValueError, match="one microphone"):
        transform_foa(torch.zeros(2, 8, 100), torch.eye(3).expand(2, 3, 3))
    cfg_args = ["train.foa_augment=acs", "data.mics=2"]
    with pytest.raises(ConfigError, match="needs data.mics=1"):
        load_config("demo", cfg_args)
    with pytest.raises(ConfigError, match="foa_augment"):
        load_config("demo", ["train.foa_augment=tilt"])


def _labels(seed: int, frames: int = 6, classes: int = 14) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    active = np.zeros((frames, classes, 3), dtype=bool)
    for t in range(frames):  # 0 to 3 events per frame (same-class instances included)
        picks = rng.choice(classes * 3, size=int(rng.integers(0, 4)), replace=False)
        active[t].flat[picks] = True
    xyz = rng.uniform(-1.9, 1.9, (frames, classes, 3, 3)) * active[..., None]
    return active, xyz


@pytest.mark.parametrize("name", ["tracks", "slots", "multi_accdoa"])
def test_targets_turn_with_the_sound_field(name: str) -> None:
    """targets(labels) turned by M == targets(M labels), for every pattern and a few rotations."""
    fmt = get_format(name)
    classes = 13 if name == "multi_accdoa" else 14
    active, xyz = _labels(1, classes=classes)
    mats = torch.cat([torch.from_numpy(acs_matrices()).float(),
                      random_matrices("rotate", 4, generator=torch.Generator().manual_seed(5))])
    base = fmt.targets(active, xyz)
    batch = {k: v[None].expand(len(mats), *v.shape).clone() for k, v in base.items()}
    turned = fmt.transform_targets(batch, mats)
    assert turned.keys() == base.keys()
    for b, m in enumerate(mats.double().numpy()):
        expect = fmt.targets(active, xyz @ m.T)
        for key in base:
            torch.testing.assert_close(turned[key][b], expect[key], atol=1e-5, rtol=1e-5, msg=f"{name} {key} {b}")
    changed = any(not torch.equal(turned[k][3], base[k]) for k in base)
    assert changed  # a non-identity pattern moved something


def test_training_step_applies_the_augmentation(tiny_dataset) -> None:
    """The module's augmentation turns the batch's audio and targets together (one step, by hand)."""
    from conftest import TINY_MODEL
    from seld.training.module import SELDSystem

    cfg = load_config("demo", [*TINY_MODEL, f"data.root={tiny_dataset}", "train.foa_augment=acs",
                               "train.noise_std=0"])
    system = SELDSystem.from_config(cfg)
    active, xyz = _labels(2, frames=20)
    targets = system.format.targets(active, xyz)
    d = np.array([0.6, 0.0, 0.8])
    wave = torch.from_numpy(_plane_wave(np.random.default_rng(4).standard_normal(20 * 3200), d))
    batch = {"wave": wave[None].repeat(16, 1, 1), **{k: v[None].repeat(16, *[1] * v.ndim) for k, v in targets.items()}}
    torch.manual_seed(0)
    out_wave, out_targets = system._augment(batch)
    torch.manual_seed(0)
    mats = random_matrices("acs", 16)
    assert len({m.numpy().tobytes() for m in mats}) > 4  # several patterns drawn in one batch
    for b in range(16):
        np.testing.assert_allclose(_intensity_direction(out_wave[b]), mats[b].numpy() @ d, atol=1e-4)
        torch.testing.assert_close(out_targets["doa"][b], targets["doa"] @ mats[b].T, atol=1e-6, rtol=1e-6)


def test_transform_is_exact_under_mixed_precision() -> None:
    """Under bf16 autocast (GPU training) the turned audio and labels stay in float32, bit for bit."""
    wave = torch.randn(4, 4, 1000)
    mats = random_matrices("acs_rotate", 4, generator=torch.Generator().manual_seed(1))
    points = torch.randn(4, 7, 3)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        w_amp, p_amp = transform_foa(wave, mats), transform_points(points, mats)
    assert w_amp.dtype == torch.float32 and p_amp.dtype == torch.float32
    torch.testing.assert_close(w_amp, transform_foa(wave, mats), rtol=0, atol=0)
    torch.testing.assert_close(p_amp, transform_points(points, mats), rtol=0, atol=0)
