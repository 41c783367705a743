"""The one train -> choose checkpoint -> predict -> evaluate pipeline, used by ``seld demo`` and ``seld experiment``.

Both used to choose the evaluated checkpoint, count parameters and build their config overrides each in
its own way; now a run is ``run_overrides`` + :func:`train_run` + :func:`evaluate_checkpoints`, and the
checkpoint rule is :func:`evaluated_checkpoint`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import ExperimentConfig
from .errors import SeldError


def run_overrides(sets: list[str], data: str | Path | None = None, seed: int | None = None,
                  epochs: int | None = None) -> list[str]:
    """Config overrides of a run: the user's ``--set`` items, then the data root, seed and epoch count."""
    out = list(sets)
    if data is not None:
        out.append(f"data.root={data}")
    if seed is not None:
        out.append(f"train.seed={seed}")
    if epochs:
        out.append(f"train.max_epochs={epochs}")
    return out


@dataclass
class TrainedRun:
    """What training left in a run folder (``trained.json`` of an experiment run)."""

    run_dir: Path
    best_checkpoint: str
    best_val_f_score: float | None
    epochs: int
    train_seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {"best_checkpoint": self.best_checkpoint, "best_val_f_score": self.best_val_f_score,
                "epochs": self.epochs, "train_seconds": self.train_seconds}


def evaluated_checkpoint(trained: dict[str, Any]) -> str:
    """The checkpoint a run is evaluated with (relative to the run folder): the best on validation, or the
    last one when validation never scored above 0 (ties keep the first epoch's checkpoint, which would then
    stand for an untrained model)."""
    score = trained.get("best_val_f_score")
    if not score or score <= 0.0:
        return "checkpoints/last.ckpt"
    return str(trained["best_checkpoint"])


def train_run(cfg: ExperimentConfig, run_dir: Path, progress_bar: bool = False) -> TrainedRun:
    """Train ``cfg`` into ``run_dir``, resuming exactly when it holds ``checkpoints/last.ckpt``."""
    from .training.trainer import train

    t0 = time.perf_counter()
    res = train(cfg, run_dir, resume=(run_dir / "checkpoints" / "last.ckpt").exists(), progress_bar=progress_bar)
    best = res.best_checkpoint or res.last_checkpoint
    if best is None:
        raise SeldError("training wrote no checkpoint", run_dir)
    return TrainedRun(run_dir, str(best.resolve().relative_to(run_dir.resolve())), res.best_f_score, res.epochs,
                      round(time.perf_counter() - t0, 1))


def evaluate_checkpoints(ckpts: list[Path], data: Path, pred_dir: Path, show_progress: bool = False,
                         data_format: str = "l3das22") -> dict[str, Any]:
    """Predict the dev/test part of ``data`` with ``ckpts`` (an ensemble when several) into ``pred_dir`` and score
    it with the dataset format's official metric (L3DAS22: F at 2 m and the error analysis; DCASE: 2024)."""
    from .datasets import get_dataset
    from .inference.predict import predict

    dataset = get_dataset(data_format)
    predict(list(ckpts), dataset.evaluation_inputs(data), pred_dir, show_progress=show_progress)
    return dataset.evaluate(pred_dir, data)


def calibrated_thresholds(ckpt: Path) -> dict[str, Any] | None:
    """The calibration a checkpoint holds (values, scores) with its dataset's class names, or None."""
    from .checkpoints import load_checkpoint_file
    from .config import config_from_dict
    from .datasets import get_dataset

    raw = load_checkpoint_file(ckpt)
    info = raw.get("seld", {}).get("thresholds")
    if not info:
        return None
    cfg = config_from_dict(raw["hyper_parameters"]["config"])
    return {**info, "classes": list(get_dataset(cfg.data.format).classes)}


def parameter_count(cfg: ExperimentConfig) -> int:
    """Trainable parameters of the model ``cfg`` builds."""
    from .build import build_model
    from .models import count_parameters

    return count_parameters(build_model(cfg))
