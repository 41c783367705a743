"""Training end to end on the `tiny` synthetic set: loss goes down, exact resume, DDP, checkpoints."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from conftest import TINY_MODEL as CONFTEST_TINY_MODEL
from seld.checkpoints import load_checkpoint_file, load_model
from seld.config import load_config
from seld.training.trainer import train

TINY_MODEL = [*CONFTEST_TINY_MODEL, "train.deterministic=true"]


def tiny_cfg(data: Path, *extra: str, config: str = "demo"):
    return load_config(config, [*TINY_MODEL, f"data.root={data}", *extra])


def _params(ckpt: Path) -> dict[str, torch.Tensor]:
    return {k: v for k, v in load_checkpoint_file(ckpt)["state_dict"].items() if v.is_floating_point()}


def test_training_lowers_the_loss(tiny_dataset: Path, tmp_path: Path):
    import csv

    cfg = tiny_cfg(tiny_dataset, "train.max_epochs=6", "train.lr=3e-3", "data.chunks_per_clip=4")
    result = train(cfg, tmp_path / "run", progress_bar=False)
    assert result.best_checkpoint is not None and result.best_checkpoint.exists()
    with open(tmp_path / "run" / "logs" / "metrics.csv") as fh:
        rows = list(csv.DictReader(fh))
    l_sed = [float(r["train/l_sed"]) for r in rows if r.get("train/l_sed")]
    assert len(l_sed) >= 10
    k = max(2, len(l_sed) // 4)
    assert sum(l_sed[-k:]) / k < 0.8 * sum(l_sed[:k]) / k
    assert any(r.get("val/f_score") for r in rows) and any(r.get("weight/lambda") for r in rows)
    timed = [r for r in rows if r.get("time/train_epoch_s")]  # EpochTimer: one row per epoch
    assert len(timed) == 6 and sum(1 for r in rows if r.get("time/val_s")) == 6
    steps_per_epoch = len(l_sed) / 6
    for r in timed:
        audio = float(r["time/train_audio_s_per_s"]) * float(r["time/train_epoch_s"])
        assert audio == pytest.approx(steps_per_epoch * cfg.train.batch_size * cfg.data.chunk_seconds, rel=1e-6)
    assert (tmp_path / "run" / "feature_stats.npz").exists() and (tmp_path / "run" / "config.yaml").exists()
    model, loaded_cfg = load_model(result.best_checkpoint)
    assert loaded_cfg == cfg and not model.training


def test_resume_equals_straight_run(tiny_dataset: Path, tmp_path: Path):
    straight = train(tiny_cfg(tiny_dataset, "train.max_epochs=3"), tmp_path / "straight", progress_bar=False)
    first = tiny_cfg(tiny_dataset, "train.max_epochs=3", "train.stop_after_epochs=2")
    part = train(first, tmp_path / "resumed", progress_bar=False)
    assert part.epochs == 2
    resumed = train(tiny_cfg(tiny_dataset, "train.max_epochs=3"), tmp_path / "resumed", resume=True,
                    progress_bar=False)
    assert resumed.epochs == 3
    a, b = _params(straight.last_checkpoint), _params(resumed.last_checkpoint)
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6, msg=k)
    import csv

    with open(tmp_path / "resumed" / "logs" / "metrics.csv") as fh:  # the log keeps the epochs before the resume
        epochs = {r["epoch"] for r in csv.DictReader(fh) if r.get("val/f_score")}
    assert epochs == {"0", "1", "2"}
    sa = load_checkpoint_file(straight.last_checkpoint)["seld"]["loss_weighting"]
    sb = load_checkpoint_file(resumed.last_checkpoint)["seld"]["loss_weighting"]
    assert sa == sb


def test_seldnet_baseline_trains(tiny_dataset: Path, tmp_path: Path):
    cfg = tiny_cfg(tiny_dataset, "train.max_epochs=1", "model.rnn_size=16", "model.fc_size=16", config="seldnet_demo")
    result = train(cfg, tmp_path / "run", progress_bar=False)
    model, _ = load_model(result.last_checkpoint)
    assert model.output_format == "slots"


def test_run_folder_protection(tiny_dataset: Path, tmp_path: Path):
    from seld.errors import SeldError

    with pytest.raises(SeldError, match="no checkpoints/last.ckpt"):
        train(tiny_cfg(tiny_dataset), tmp_path / "empty", resume=True)


@pytest.mark.slow
def test_ddp_two_cpu_processes(tiny_dataset: Path, tmp_path: Path):
    out = tmp_path / "ddp"
    sets = [s for s in TINY_MODEL if not s.startswith(("train.devices", "train.deterministic"))]
    cmd = [sys.executable, "-m", "seld", "-v", "train", "--config", "demo", "--data", str(tiny_dataset),
           "--out", str(out), "--devices", "2", "--no-progress",
           "--set", *sets, "train.max_epochs=1", "train.strategy=ddp"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PL_DISABLE_FORK": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "distributed_backend=gloo" in proc.stderr + proc.stdout
    model, cfg = load_model(out / "checkpoints" / "last.ckpt")
    assert cfg.train.devices == "2"


def test_shipped_pretrained_model_predicts_a_wav(tmp_path: Path):
    """`seld predict pretrained FILE.wav` works out of the box on a user's FOA recording."""
    import numpy as np
    import soundfile as sf

    from seld.cli import main
    from seld.pretrained import PRETRAINED_DEMO

    assert PRETRAINED_DEMO.exists(), "the demo checkpoint must ship with the package"
    model, cfg = load_model(PRETRAINED_DEMO)
    assert cfg.name == "demo" and model.output_format == "tracks"
    rng = np.random.default_rng(0)
    t = np.arange(int(3.7 * 32000)) / 32000
    s = (np.sin(2 * np.pi * 440 * t) * (rng.random(t.size) < 0.3)).astype(np.float32)
    wav = tmp_path / "my_recording.wav"
    sf.write(wav, np.stack([s, 0.5 * s, 0.1 * s, 0.8 * s], axis=1), 32000)
    assert main(["predict", "pretrained", str(wav), "--out", str(tmp_path / "pred"), "--json"]) == 0
    csv_path = tmp_path / "pred" / "label_my_recording.csv"
    assert csv_path.exists() and (tmp_path / "pred" / "my_recording.events.json").exists()
    if csv_path.stat().st_size:  # silence-like input may give no events at all
        rows = np.loadtxt(csv_path, delimiter=",", ndmin=2)
        assert rows.shape[1] == 5 and (rows[:, 0] >= 0).all() and (rows[:, 0] < 37).all()
