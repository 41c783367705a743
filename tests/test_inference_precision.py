"""bf16 inference (`seld predict --precision bf16`): same posteriors as fp32 up to bfloat16 rounding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from seld.checkpoints import load_model
from seld.cli import main
from seld.errors import SeldError
from seld.inference.infer import infer_clip, prepare_for_inference
from seld.inference.predict import predict
from seld.pretrained import PRETRAINED_DEMO


def _clip(seconds: float = 6.0) -> np.ndarray:
    rng = np.random.default_rng(1)
    t = np.arange(int(seconds * 32000)) / 32000
    s = np.sin(2 * np.pi * 660 * t) * (np.sin(2 * np.pi * 0.5 * t) > 0) + 0.05 * rng.standard_normal(t.size)
    return np.stack([s, 0.6 * s, -0.3 * s, 0.7 * s]).astype(np.float32)  # (4, N): a source to the front left


def test_bf16_posteriors_close_to_fp32() -> None:
    wave = torch.from_numpy(_clip())
    model, _ = load_model(PRETRAINED_DEMO)
    fp32 = infer_clip(model, wave, window_s=4.0)
    fast, _ = load_model(PRETRAINED_DEMO)
    bf16 = infer_clip(prepare_for_inference(fast, "bf16"), wave, window_s=4.0, precision="bf16")
    assert bf16["sed"].dtype == torch.float32 and bf16["sed"].shape == fp32["sed"].shape
    sed_diff = (bf16["sed"] - fp32["sed"]).abs().max().item()
    doa_diff = (bf16["doa"] - fp32["doa"]).abs().max().item()
    assert 0 < sed_diff < 0.05 and doa_diff < 0.1, (sed_diff, doa_diff)  # > 0: bf16 really ran
    assert (fp32["sed"] > 0.01).any()  # the clip is not silence to the model


def test_predict_precision_cli_and_bad_value(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wav = tmp_path / "rec.wav"
    sf.write(wav, _clip(3.0).T, 32000)
    assert main(["predict", "pretrained", str(wav), "--out", str(tmp_path / "p"), "--precision", "bf16"]) == 0
    assert (tmp_path / "p" / "label_rec.csv").exists()
    with pytest.raises(SeldError, match="precision"):
        predict([PRETRAINED_DEMO], [wav], tmp_path / "q", precision="fp8")
    assert not (tmp_path / "q").exists()
    with pytest.raises(SystemExit):
        main(["predict", "pretrained", str(wav), "--out", str(tmp_path / "r"), "--precision", "fp16"])
    assert "invalid choice" in capsys.readouterr().err


def test_onnxruntime_backend_matches_torch(tmp_path: Path) -> None:
    """`--backend onnxruntime` gives the torch backend's predictions (windows of the exported length)."""
    import onnx  # noqa: F401  (the test extra installs it)
    import onnxruntime  # noqa: F401
    wav = tmp_path / "rec.wav"
    sf.write(wav, _clip(7.3).T, 32000)  # 4 s windows, the last one ends at the clip end: no padding
    args = ["predict", "pretrained", str(wav), "--window", "4", "--threshold", "0.3"]
    assert main([*args, "--out", str(tmp_path / "torch")]) == 0
    assert main([*args, "--out", str(tmp_path / "ort"), "--backend", "onnxruntime"]) == 0
    a = np.loadtxt(tmp_path / "torch" / "label_rec.csv", delimiter=",", ndmin=2)
    b = np.loadtxt(tmp_path / "ort" / "label_rec.csv", delimiter=",", ndmin=2)
    assert len(a) > 0 and a.shape == b.shape
    assert np.array_equal(a[:, :2], b[:, :2]) and np.abs(a[:, 2:] - b[:, 2:]).max() < 1e-3


def test_onnxruntime_runner_exports_one_graph_per_length() -> None:
    import onnx  # noqa: F401  (the test extra installs it)
    import onnxruntime  # noqa: F401

    from seld.inference.infer import infer_clip
    from seld.inference.onnx_export import OnnxRuntimeModel

    model, _ = load_model(PRETRAINED_DEMO)
    runner = OnnxRuntimeModel(model, threads=1)
    wave = torch.from_numpy(_clip(1.25))  # 13 label frames, padded to 13 x 3200 samples by infer_clip
    got, ref = infer_clip(runner, wave), infer_clip(model, wave)
    assert set(runner.sessions) == {13 * 3200}
    torch.testing.assert_close(got["sed"], ref["sed"], atol=1e-4, rtol=1e-3)
    torch.testing.assert_close(got["doa"], ref["doa"], atol=1e-4, rtol=1e-3)
    infer_clip(runner, torch.from_numpy(_clip(2.0)))
    assert set(runner.sessions) == {13 * 3200, 20 * 3200}
    with pytest.raises(SeldError, match="whole number of 100 ms"):
        runner(torch.zeros(1, 4, 1000))
    with pytest.raises(SeldError, match="runs on the CPU"):
        predict([PRETRAINED_DEMO], [], "unused", backend="onnxruntime", device="cuda")
