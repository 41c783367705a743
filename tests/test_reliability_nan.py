"""Numerics: a NaN/inf training loss stops ``seld train`` with one clear line and a non-zero exit status,
and the last good checkpoint (from the epoch before) is kept untouched, loadable and finite."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from seld.checkpoints import load_checkpoint_file, load_model
from seld.cli import main
from seld.formats import TrackFormat
from test_reliability_crash import SETS


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_nan_loss_stops_training_and_keeps_last_good_checkpoint(
    tiny_dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run = tmp_path / "run"
    base = ["train", "--config", "paper", "--data", str(tiny_dataset), "--out", str(run), "--no-progress",
            "--set", *SETS, "data.max_train_clips=4", "data.max_val_clips=1"]
    assert main([*base, "train.stop_after_epochs=1"]) == 0  # one good epoch
    last = run / "checkpoints" / "last.ckpt"
    before = _sha(last)
    capsys.readouterr()

    real = TrackFormat.criterion

    def poisoned(self: TrackFormat, doa_mask: bool = True) -> Callable[..., dict[str, torch.Tensor]]:
        """The criterion, but the loss of every training step becomes NaN (validation stays finite)."""
        criterion = real(self, doa_mask)

        def call(outputs: dict[str, torch.Tensor], targets: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
            losses = criterion(outputs, targets)
            if torch.is_grad_enabled():
                losses = {**losses, "l_sed": losses["l_sed"] * float("nan")}
            return losses

        return call

    monkeypatch.setattr(TrackFormat, "criterion", poisoned)
    rc = main([*base, "--resume"])
    err = capsys.readouterr().err
    assert rc == 2
    # training logs progress to stderr; the failure itself is one line, the last one, without a traceback
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert "Traceback" not in err
    assert [ln for ln in lines if ": error:" in ln] == lines[-1:], err
    assert lines[-1].startswith("seld train: error: training loss is non-finite since step ")
    assert "epoch 1" in lines[-1] and "last good checkpoint is kept" in lines[-1]
    first_bad = int(lines[-1].split("since step ", 1)[1].split(" ", 1)[0])
    assert _sha(last) == before  # not overwritten with the poisoned state
    ckpt = load_checkpoint_file(last)
    assert ckpt["epoch"] == 0
    assert first_bad == ckpt["global_step"] > 0  # the first step after the good epoch, found at the epoch's end
    model, _ = load_model(last)
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert not [p for p in run.rglob("*") if ".tmp" in p.name]
