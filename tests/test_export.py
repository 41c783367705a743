"""``seld export``: ONNX round trip of a tiny randomly initialised model, and clear errors."""

from __future__ import annotations

import builtins
import json

import pytest
import torch

from seld.build import build_model
from seld.cli import main
from seld.config import config_to_dict, load_config
from seld.errors import SeldError

TINY = [
    "model.channels=[8,8,16,16]",
    "model.temporal_layers=1",
    "model.temporal_heads=2",
    "model.temporal_ff=32",
    "features.n_mels=32",
    "model.pools=[[2,2],[2,2],[4,2],[2,1]]",
]


def _checkpoint(tmp_path, config: str = "demo", overrides: list[str] | None = None):
    cfg = load_config(config, overrides if overrides is not None else TINY)
    torch.manual_seed(0)
    model = build_model(cfg).eval()
    path = tmp_path / "tiny.ckpt"
    state = {f"model.{k}": v for k, v in model.state_dict().items()}
    torch.save({"state_dict": state, "hyper_parameters": {"config": config_to_dict(cfg)}}, path)
    return path, model


def test_export_round_trip(tmp_path, capsys):
    import onnx  # noqa: F401  (the test extra installs it)
    import onnxruntime  # noqa: F401
    ckpt, model = _checkpoint(tmp_path)
    out = tmp_path / "model.onnx"
    assert main(["export", str(ckpt), "--out", str(out), "--seconds", "1.6", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert out.is_file() and report["ok"] is True
    assert report["max_rel_diff"] < 1e-3

    from seld.inference.onnx_export import onnx_session, run_session

    wave = torch.randn(1, 4, 51200)
    got = run_session(onnx_session(out, threads=1), wave)
    with torch.inference_mode():
        ref = model(wave)
    assert got["sed"].shape == tuple(ref["sed"].shape) == (1, 16, 3, 14)
    assert got["doa"].shape == tuple(ref["doa"].shape)
    for k in ("sed", "doa"):
        assert abs(got[k] - ref[k].numpy()).max() <= 1e-3 * max(1.0, float(ref[k].abs().max()))


def test_export_seldnet_clear_error(tmp_path, capsys):
    """SELDnet's STFT front end uses complex tensors, which the TorchScript exporter cannot handle."""
    import onnx  # noqa: F401  (the test extra installs it)
    ckpt, _ = _checkpoint(tmp_path, "seldnet_demo", [])
    out = tmp_path / "seldnet.onnx"
    assert main(["export", str(ckpt), "--out", str(out), "--seconds", "0.8"]) == 2
    assert "cannot be exported to ONNX" in capsys.readouterr().err
    assert not out.exists()


def test_export_missing_onnxruntime(tmp_path, monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "onnxruntime":
            raise ImportError("no onnxruntime")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    from seld.inference.onnx_export import require_onnx

    with pytest.raises(SeldError, match="onnxruntime"):
        require_onnx()
    ckpt, _ = _checkpoint(tmp_path)
    assert main(["export", str(ckpt), "--out", str(tmp_path / "m.onnx")]) == 2


def test_export_not_a_checkpoint(tmp_path):
    import onnxruntime  # noqa: F401
    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(b"not a checkpoint")
    assert main(["export", str(bad), "--out", str(tmp_path / "m.onnx")]) == 2
