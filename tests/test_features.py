"""Tests of the log-mel + intensity-vector front end and the feature normaliser."""

from __future__ import annotations

import warnings

import librosa
import numpy as np
import pytest
import torch

from seld.config import FeatureConfig
from seld.features import FeatureNormalizer, LogMelIV, compute_feature_stats

SR = 32_000


def _foa_plane_wave(s: np.ndarray, az_deg: float, el_deg: float, order: str = "WYZX") -> np.ndarray:
    """FOA (SN3D) encoding of signal ``s`` from azimuth/elevation, channels in ``order``."""
    az, el = np.deg2rad(az_deg), np.deg2rad(el_deg)
    comp = {
        "W": s,
        "Y": s * np.sin(az) * np.cos(el),
        "Z": s * np.sin(el),
        "X": s * np.cos(az) * np.cos(el),
    }
    return np.stack([comp[c] for c in order]).astype(np.float32)


def _direction(az_deg: float, el_deg: float) -> np.ndarray:
    az, el = np.deg2rad(az_deg), np.deg2rad(el_deg)
    return np.array([np.cos(az) * np.cos(el), np.sin(az) * np.cos(el), np.sin(el)])


def _reference_features(x: np.ndarray, cfg: FeatureConfig, eps: float = 1e-8) -> np.ndarray:
    """Float64 reference with a manual numpy STFT; x (4, N) in ACN order -> (7, N // hop, n_mels)."""
    n_fft, hop = cfg.n_fft, cfg.hop
    n = x.shape[1]
    t = n // hop
    padded = np.pad(x.astype(np.float64), ((0, 0), (n_fft // 2, n_fft // 2)), mode="reflect")
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)  # periodic Hann
    frames = np.stack([padded[:, i * hop : i * hop + n_fft] for i in range(t)], axis=1)  # (4, T, n_fft)
    spec = np.fft.rfft(frames * window, axis=-1)  # (4, T, bins)
    mel = librosa.filters.mel(sr=cfg.sample_rate, n_fft=n_fft, n_mels=cfg.n_mels, fmin=cfg.fmin, fmax=cfg.fmax).astype(
        np.float64
    )
    logmel = 10 * np.log10(np.maximum(np.abs(spec) ** 2 @ mel.T, cfg.log_floor))
    w, y, z, xx = spec
    iv = np.stack([np.real(np.conj(w) * c) for c in (xx, y, z)])
    iv = iv / (np.sqrt((iv**2).sum(axis=0, keepdims=True)) + eps)
    mel_iv = mel / mel.sum(axis=1, keepdims=True)
    return np.concatenate([logmel, iv @ mel_iv.T])


@pytest.fixture(scope="module")
def cfg() -> FeatureConfig:
    return FeatureConfig()


@pytest.mark.parametrize("mics", [1, 2])
def test_shapes(cfg: FeatureConfig, mics: int) -> None:
    fe = LogMelIV(mics=mics)
    assert fe.out_channels == 7 * mics
    assert fe.logmel_channels == 4 * mics
    for n in (32_000, 32_000 + 399, 3200 * 3):
        y = fe(torch.randn(2, 4 * mics, n))
        assert y.shape == (2, 7 * mics, n // 400, 128)
        assert y.dtype == torch.float32
        assert torch.isfinite(y).all()
    # A 30 s clip gives 8 STFT frames per 100 ms label frame: 2400 frames.
    assert fe.n_frames(30 * SR) == 2400


def test_wrong_channel_count(cfg: FeatureConfig) -> None:
    with pytest.raises(ValueError, match="expected"):
        LogMelIV(mics=1)(torch.zeros(1, 8, 4000))


def test_silence_is_floor(cfg: FeatureConfig) -> None:
    fe = LogMelIV(mics=2)
    y = fe(torch.zeros(1, 8, 16_000))
    floor = 10 * np.log10(cfg.log_floor)
    assert torch.allclose(y[:, :8], torch.full_like(y[:, :8], floor))
    assert torch.equal(y[:, 8:], torch.zeros_like(y[:, 8:]))


@pytest.mark.parametrize("az,el", [(40.0, 20.0), (-120.0, -35.0), (180.0, 0.0), (0.0, 89.0)])
def test_intensity_vector_direction_noise(cfg: FeatureConfig, az: float, el: float) -> None:
    rng = np.random.default_rng(0)
    s = rng.standard_normal(SR // 2)
    x = torch.from_numpy(_foa_plane_wave(s, az, el))[None]
    y = LogMelIV(mics=1)(x)[0].numpy()  # (7, T, M)
    iv = y[4:7]  # x, y, z
    expected = _direction(az, el)
    # Every STFT bin carries the same unit vector, so every mel bin does too (rows sum to 1).
    assert np.abs(iv - expected[:, None, None]).max() < 1e-4
    # All four log-mels of a plane wave: W dominates; Y, Z, X carry the gain squared.
    gains = {"W": 1.0, "Y": expected[1], "Z": expected[2], "X": expected[0]}
    for ch, name in enumerate("WYZX"):
        if abs(gains[name]) > 0.1:
            diff = y[ch] - y[0]
            assert np.allclose(diff, 20 * np.log10(abs(gains[name])), atol=1e-3)


def test_intensity_vector_direction_sinusoid(cfg: FeatureConfig) -> None:
    t = np.arange(SR // 4) / SR
    s = np.sin(2 * np.pi * 1000.0 * t)
    az, el = 135.0, 30.0
    y = LogMelIV(mics=1)(torch.from_numpy(_foa_plane_wave(s, az, el))[None])[0].numpy()
    expected = _direction(az, el)
    mel = librosa.filters.mel(sr=SR, n_fft=cfg.n_fft, n_mels=cfg.n_mels, fmin=cfg.fmin, fmax=cfg.fmax)
    band = int(np.argmax(mel[:, int(round(1000 * cfg.n_fft / SR))]))  # mel bin holding 1 kHz
    iv = y[4:7, :, band]  # (3, T)
    assert np.allclose(iv, expected[:, None], atol=1e-3)
    # Mean direction recovered as angles.
    v = iv.mean(axis=1)
    assert np.degrees(np.arctan2(v[1], v[0])) == pytest.approx(az, abs=0.1)
    assert np.degrees(np.arcsin(v[2] / np.linalg.norm(v))) == pytest.approx(el, abs=0.1)


def test_two_mics_layout(cfg: FeatureConfig) -> None:
    rng = np.random.default_rng(1)
    s = rng.standard_normal(SR // 4)
    a = _foa_plane_wave(s, 30.0, 10.0)
    b = _foa_plane_wave(0.5 * s, -60.0, -20.0)
    x = torch.from_numpy(np.concatenate([a, b]))[None]
    y = LogMelIV(mics=2)(x)[0].numpy()
    assert y.shape[0] == 14
    assert np.abs(y[8:11] - _direction(30.0, 10.0)[:, None, None]).max() < 1e-4
    assert np.abs(y[11:14] - _direction(-60.0, -20.0)[:, None, None]).max() < 1e-4
    # Mic B's W log-mel is 20 log10(0.5) below mic A's.
    assert np.allclose(y[4] - y[0], 20 * np.log10(0.5), atol=1e-3)
    single = LogMelIV(mics=1)(torch.from_numpy(a)[None])[0].numpy()
    assert np.allclose(y[0:4], single[0:4], atol=1e-4)
    assert np.allclose(y[8:11], single[4:7], atol=1e-5)


@pytest.mark.parametrize(("az", "el"), [(70.0, -15.0), (-120.0, 40.0), (0.0, 0.0), (180.0, -80.0)])
def test_fuma_file_converts_to_the_same_features(cfg: FeatureConfig, az: float, el: float, tmp_path) -> None:
    """A plane wave stored as FuMa (W, X, Y, Z; W at -3 dB) and read with foa_format=fuma gives the ACN/SN3D
    waveform back, hence the same log-mels and an intensity vector pointing at the same direction."""
    import soundfile as sf

    from seld.data.foa import from_acn_sn3d, to_acn_sn3d
    from seld.data.l3das22 import read_wav

    rng = np.random.default_rng(2)
    s = (0.3 * rng.standard_normal(16000)).astype(np.float32)
    acn = _foa_plane_wave(s, az, el, "WYZX")
    fuma = from_acn_sn3d(acn, "fuma")
    # FuMa's own definition: W = s / sqrt(2), then X, Y, Z as the direction cosines
    np.testing.assert_allclose(fuma, np.stack([s / np.sqrt(2), *(_direction(az, el)[:, None] * s)]), atol=1e-6)
    np.testing.assert_allclose(to_acn_sn3d(fuma, "fuma"), acn, atol=1e-6)
    path = tmp_path / "fuma.wav"
    sf.write(path, fuma.T, cfg.sample_rate, subtype="FLOAT")
    read = read_wav(path, foa_format="fuma")
    np.testing.assert_allclose(read, acn, atol=1e-6)
    fe = LogMelIV(mics=1)
    out = fe(torch.from_numpy(read)[None])[0].numpy()
    ref = fe(torch.from_numpy(acn)[None])[0].numpy()
    np.testing.assert_allclose(out, ref, atol=1e-3)
    assert np.abs(out[4:7] - _direction(az, el)[:, None, None]).max() < 1e-3
    # read as if it were ACN, the same file points elsewhere (the setting matters)
    wrong = fe(torch.from_numpy(read_wav(path))[None])[0].numpy()
    assert np.abs(wrong[4:7] - _direction(az, el)[:, None, None]).max() > 0.1 or (az, el) == (0.0, 0.0)


def test_foa_conversion_two_mics_and_errors() -> None:
    from seld.data.foa import from_acn_sn3d, to_acn_sn3d

    x = np.random.default_rng(0).standard_normal((8, 50)).astype(np.float32)
    fuma = from_acn_sn3d(x, "fuma")
    assert np.allclose(fuma[4], x[4] / np.sqrt(2)) and np.allclose(fuma[5], x[7])  # mic B: W, then X (ACN 3)
    np.testing.assert_allclose(to_acn_sn3d(fuma, "fuma"), x, atol=1e-6)
    assert to_acn_sn3d(x, "acn_sn3d") is x
    with pytest.raises(ValueError, match="unknown FOA format"):
        to_acn_sn3d(x, "n3d")
    with pytest.raises(ValueError, match="expected"):
        to_acn_sn3d(x[:3], "fuma")


def test_legacy_channel_order_key(tmp_path) -> None:
    from seld.config import config_from_dict, load_config
    from seld.errors import ConfigError

    cfg = config_from_dict({"features": {"channel_order": "WYZX"}})  # as older checkpoints store it
    assert cfg.data.foa_format == "acn_sn3d"
    with pytest.raises(ConfigError, match="data.foa_format"):
        config_from_dict({"features": {"channel_order": "WXYZ"}})
    assert load_config("demo", ["data.foa_format=fuma"]).data.foa_format == "fuma"
    with pytest.raises(ConfigError, match="foa_format"):
        load_config("demo", ["data.foa_format=ambix"])


def test_matches_float64_numpy_reference(cfg: FeatureConfig) -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 12_345)) * np.array([[1.0], [0.3], [0.2], [0.5]])
    ref = _reference_features(x, cfg)
    fe = LogMelIV(mics=1)
    out64 = fe(torch.from_numpy(x)[None])[0].numpy()  # float64 input -> float64 computation
    assert out64.shape == ref.shape
    assert np.abs(out64[:4] - ref[:4]).max() < 1e-8
    assert np.abs(out64[4:] - ref[4:]).max() < 1e-8
    out32 = LogMelIV(mics=1)(torch.from_numpy(x.astype(np.float32))[None])[0].numpy()
    assert np.abs(out32[:4] - ref[:4]).max() < 1e-2  # dB
    assert np.abs(out32[4:] - ref[4:]).max() < 1e-3


def test_batch_items_independent(cfg: FeatureConfig) -> None:
    fe = LogMelIV(mics=1)
    x = torch.randn(3, 4, 8000)
    batch = fe(x)
    for i in range(3):
        assert torch.allclose(batch[i], fe(x[i : i + 1])[0], atol=1e-4)


def test_export_and_trace(cfg: FeatureConfig) -> None:
    fe = LogMelIV(mics=1).eval()
    x = torch.randn(2, 4, 8000)
    x2 = torch.randn(3, 4, 12_000)
    dims = {"x": {0: torch.export.Dim("batch"), 2: torch.export.Dim("samples", min=2048, max=10**7)}}
    ep = torch.export.export(fe, (x,), dynamic_shapes=dims)
    assert torch.allclose(ep.module()(x2), fe(x2), atol=1e-4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("error", torch.jit.TracerWarning)
        traced = torch.jit.trace(fe, x)
    assert torch.allclose(traced(x2), fe(x2), atol=1e-4)


def test_onnx_export(cfg: FeatureConfig, tmp_path) -> None:
    import onnx  # noqa: F401  (the test extra installs it)
    import onnxruntime as ort
    fe = LogMelIV(mics=1).eval()
    path = tmp_path / "fe.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            fe,
            (torch.randn(1, 4, 8000),),
            str(path),
            dynamo=False,
            opset_version=17,
            input_names=["x"],
            dynamic_axes={"x": {0: "batch", 2: "samples"}},
        )
    x2 = torch.randn(2, 4, 12_000)
    out = ort.InferenceSession(str(path)).run(None, {"x": x2.numpy()})[0]
    assert np.abs(out - fe(x2).detach().numpy()).max() < 1e-2


def test_normalizer_forward_and_set_stats() -> None:
    norm = FeatureNormalizer(3, 5)
    assert torch.equal(norm.mean, torch.zeros(3, 5)) and torch.equal(norm.std, torch.ones(3, 5))
    x = torch.randn(2, 3, 4, 5)
    assert torch.equal(norm(x), x)
    mean, std = torch.randn(3, 5), torch.rand(3, 5) + 0.5
    norm.set_stats(mean, std)
    assert torch.allclose(norm(x), (x - mean[None, :, None, :]) / std[None, :, None, :])
    assert set(norm.state_dict()) == {"mean", "std"}
    with pytest.raises(ValueError):
        norm.set_stats(torch.zeros(2, 5), torch.ones(2, 5))


def test_compute_feature_stats_matches_numpy(cfg: FeatureConfig) -> None:
    rng = np.random.default_rng(4)
    fe = LogMelIV(n_mels=32, mics=1)
    waves = [
        torch.from_numpy((rng.standard_normal((4, n)) * rng.uniform(0.1, 2.0)).astype(np.float32))
        for n in (4000, 9600, 12_345)
    ]
    mean, std = compute_feature_stats(fe, iter(waves))
    feats = np.concatenate([fe(w[None])[0].numpy() for w in waves], axis=1)  # (7, T_total, 32)
    assert mean.shape == (7, 32) and std.shape == (7, 32)
    assert np.allclose(mean.numpy(), feats.mean(axis=1), atol=1e-4)
    assert np.allclose(std.numpy(), feats.std(axis=1), rtol=1e-4, atol=1e-5)


def test_compute_feature_stats_std_floor() -> None:
    fe = LogMelIV(n_mels=16, mics=1)
    mean, std = compute_feature_stats(fe, [np.zeros((4, 8000), dtype=np.float32)])
    assert torch.allclose(mean[:4], torch.full((4, 16), -100.0))
    assert torch.all(std == 1e-5)
    with pytest.raises(ValueError):
        compute_feature_stats(fe, [])


def test_no_autocast_inside(cfg: FeatureConfig) -> None:
    fe = LogMelIV(mics=1)
    x = torch.randn(1, 4, 8000) * 10
    ref = fe(x)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = fe(x)
    assert out.dtype == torch.float32 and torch.equal(out, ref)
    assert fe(x.bfloat16()).dtype == torch.float32


def test_predict_fuma_input_with_foa_format(tiny_dataset, tmp_path, capsys) -> None:
    """`seld predict --foa-format fuma` on a FuMa copy of a clip writes what the ACN clip gives."""
    import soundfile as sf

    from seld.cli import main
    from seld.data.foa import from_acn_sn3d

    wav = sorted((tiny_dataset / "L3DAS22_Task2_dev" / "data").glob("*_A.wav"))[0]
    audio, sr = sf.read(wav, dtype="float32", always_2d=True)
    fuma = tmp_path / "fuma" / wav.name
    fuma.parent.mkdir()
    sf.write(fuma, from_acn_sn3d(audio.T, "fuma").T, sr, subtype="FLOAT")
    assert main(["predict", "pretrained", str(wav), "--out", str(tmp_path / "a")]) == 0
    assert main(["predict", "pretrained", str(fuma), "--out", str(tmp_path / "b"), "--foa-format", "fuma"]) == 0
    name = f"label_{wav.stem[:-2]}.csv"
    a, b = (np.loadtxt(tmp_path / d / name, delimiter=",", ndmin=2) for d in ("a", "b"))
    assert a.shape == b.shape and a.size > 0
    np.testing.assert_allclose(a, b, atol=2e-3)
