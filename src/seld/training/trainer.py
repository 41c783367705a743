"""Build a Lightning Trainer for a run folder, and the ``train`` entry point used by the CLI."""

from __future__ import annotations

import csv
import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import Callback, EarlyStopping, LearningRateMonitor, ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
from lightning.pytorch.utilities.exceptions import MisconfigurationException

from ..checkpoints import load_checkpoint_file
from ..config import ExperimentConfig, dump_config
from ..errors import CheckpointError, ConfigError, SeldError
from ..features import compute_feature_stats
from ..io_utils import atomic_open, atomic_path, remove_stale_temps, write_text_atomic
from ..utils.folder_lock import LOCK_NAME, folder_lock
from .calibration import calibrate_checkpoint, describe
from .checkpoint_io import AtomicCheckpointIO
from .data import SELDDataModule
from .module import SELDSystem

log = logging.getLogger(__name__)


@dataclass
class TrainResult:
    run_dir: Path
    best_checkpoint: Path | None
    last_checkpoint: Path | None
    best_f_score: float | None
    epochs: int


class StopAfterEpochs(Callback):
    """Ends fitting after ``n`` epochs in total, leaving a resumable ``last.ckpt``."""

    def __init__(self, n: int) -> None:
        self.n = n

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.current_epoch + 1 >= self.n:
            trainer.should_stop = True


class EpochTimer(Callback):
    """Logs wall seconds of each epoch's training and validation, and training throughput in seconds of
    audio per second (``time/*`` in metrics.csv). One device synchronisation per phase boundary."""

    def __init__(self, audio_s_per_batch: float) -> None:
        self.audio_s_per_batch = audio_s_per_batch
        self._t0 = self._v0 = 0.0

    @staticmethod
    def _now(pl_module: L.LightningModule) -> float:
        if pl_module.device.type == "cuda":
            torch.cuda.synchronize(pl_module.device)
        return time.perf_counter()

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._t0 = self._now(pl_module)

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        seconds = self._now(pl_module) - self._t0
        batches = trainer.num_training_batches * trainer.world_size
        pl_module.log_dict({"time/train_epoch_s": seconds,
                            "time/train_audio_s_per_s": batches * self.audio_s_per_batch / max(seconds, 1e-9)},
                           sync_dist=False)

    def on_validation_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._v0 = self._now(pl_module)

    def on_validation_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not trainer.sanity_checking:
            pl_module.log("time/val_s", self._now(pl_module) - self._v0, sync_dist=False)


def resolve_precision(precision: str, accelerator: str) -> str:
    if precision != "auto":
        return precision
    on_gpu = accelerator in ("gpu", "cuda") or (accelerator == "auto" and torch.cuda.is_available())
    return "bf16-mixed" if on_gpu else "32-true"


def _devices(value: str) -> int | str | list[int]:
    if value == "auto":
        return "auto"
    if value.isdigit():
        return int(value)
    return [int(v) for v in value.split(",") if v.strip()]


def build_trainer(cfg: ExperimentConfig, run_dir: Path, progress_bar: bool = True) -> L.Trainer:
    t = cfg.train
    if not logging.getLogger("seld").isEnabledFor(logging.DEBUG):  # Lightning's banners and tips (not -v)
        logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
    ckpt_dir = run_dir / "checkpoints"
    best = ModelCheckpoint(dirpath=ckpt_dir, filename="best", monitor="val/f_score", mode="max",
                           save_top_k=1, auto_insert_metric_name=False, enable_version_counter=False)
    # a second callback keeps last.ckpt current every epoch (Lightning's save_last only follows new bests)
    last = ModelCheckpoint(dirpath=ckpt_dir, filename="last", monitor=None, save_top_k=1,
                           auto_insert_metric_name=False, enable_version_counter=False)
    callbacks = [
        best,
        last,
        EarlyStopping(monitor="val/f_score", mode="max", patience=t.patience, check_finite=False),
        LearningRateMonitor(logging_interval="step"),
        EpochTimer(t.batch_size * cfg.data.chunk_seconds),
    ]
    if t.stop_after_epochs:
        callbacks.append(StopAfterEpochs(t.stop_after_epochs))
    loggers = [CSVLogger(run_dir, name="", version="logs"), TensorBoardLogger(run_dir, name="", version="tb")]
    return L.Trainer(
        max_epochs=t.max_epochs,
        accelerator=t.accelerator,
        devices=_devices(t.devices),
        num_nodes=t.num_nodes,
        strategy=t.strategy,
        precision=resolve_precision(t.precision, t.accelerator),
        callbacks=callbacks,
        logger=loggers,
        deterministic=t.deterministic,
        log_every_n_steps=t.log_every_n_steps,
        num_sanity_val_steps=0,
        use_distributed_sampler=False,
        check_val_every_n_epoch=t.check_val_every_n_epoch,
        limit_train_batches=t.limit_train_batches,
        gradient_clip_val=t.grad_clip or None,
        default_root_dir=run_dir,
        enable_progress_bar=progress_bar,
        enable_model_summary=False,
        plugins=[AtomicCheckpointIO()],
    )


def _feature_stats(system: SELDSystem, dm: SELDDataModule, run_dir: Path) -> None:
    """Normalisation statistics of the training clips, computed once per run and saved beside it."""
    if not system.model.uses_feature_stats:
        return
    path = run_dir / "feature_stats.npz"
    if path.exists():
        data = np.load(path)
        mean, std = torch.from_numpy(data["mean"]), torch.from_numpy(data["std"])
    else:
        device = torch.device("cuda" if torch.cuda.is_available() and cfg_uses_gpu(system.cfg) else "cpu")
        assert dm.train_clips is not None
        mean, std = compute_feature_stats(system.model.frontend, (c.wave for c in dm.train_clips), device=device)
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, mean=mean.cpu().numpy(), std=std.cpu().numpy())
    system.model.set_feature_stats(mean, std)


def _check_resumable(system: SELDSystem, last: Path, max_epochs: int) -> None:
    """Refuse to resume from a checkpoint that is unreadable, holds another model's weights, or has already
    trained as many epochs as asked for."""
    ckpt = load_checkpoint_file(last)
    state = ckpt.get("state_dict")
    if not isinstance(state, dict) or "optimizer_states" not in ckpt:
        raise CheckpointError("not a resumable seld training checkpoint (no state_dict/optimizer state)", last)
    done = ckpt.get("epoch")
    if isinstance(done, int) and max_epochs >= 0 and done + 1 > max_epochs:
        raise SeldError(f"--resume: the run has already trained {done + 1} epochs, more than train.max_epochs = "
                        f"{max_epochs}; ask for at least {done + 1} with --epochs", last)
    def plain(d: dict[str, Any]) -> dict[str, Any]:  # keys of a torch.compile'd model hold "_orig_mod."
        return {k.replace("_orig_mod.", ""): v for k, v in d.items()}

    own, state = plain(system.state_dict()), plain(state)
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    wrong = [k for k in own if k in state
             and (not isinstance(state[k], torch.Tensor) or state[k].shape != own[k].shape)]
    if missing or unexpected or wrong:
        detail = (f"missing {missing[0]}" if missing else f"unexpected {unexpected[0]}" if unexpected
                  else f"shape of {wrong[0]}")
        raise CheckpointError(
            f"checkpoint holds another model than the config describes ({detail}); "
            "resume with the run's own config.yaml or use a new --out", last)


def _set_aside_metric_log(run_dir: Path, last: Path) -> list[dict[str, str]]:
    """Lightning's CSVLogger deletes an existing metrics.csv; keep its rows up to the resumed step."""
    path = run_dir / "logs" / "metrics.csv"
    if not path.exists():
        return []
    step = int(load_checkpoint_file(last).get("global_step", 0))
    with open(path, newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r.get("step", "") == "" or int(float(r["step"])) <= step]
    return rows


def _merge_metric_logs(run_dir: Path, earlier: list[dict[str, str]]) -> None:
    """Put the rows logged before a resume back in front of the resumed run's rows."""
    path = run_dir / "logs" / "metrics.csv"
    rows: list[dict[str, str]] = []
    if path.exists():
        with open(path, newline="") as fh:
            rows = list(csv.DictReader(fh))
    merged = earlier + rows
    if not merged:
        return
    keys = sorted({k for r in merged for k in r})
    with atomic_open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=keys)
        writer.writeheader()
        writer.writerows(merged)


def cfg_uses_gpu(cfg: ExperimentConfig) -> bool:
    return cfg.train.accelerator in ("auto", "gpu", "cuda")


def train(cfg: ExperimentConfig, run_dir: str | Path, resume: bool = False, progress_bar: bool = True) -> TrainResult:
    """Train ``cfg`` into ``run_dir``; with ``resume`` continue exactly from ``checkpoints/last.ckpt``.

    The run folder is locked for the whole run: a second process on it is refused, changing nothing.
    """
    with folder_lock(run_dir, "train") as locked:
        return _train_locked(cfg, locked, resume, progress_bar)


def _train_locked(cfg: ExperimentConfig, run_dir: Path, resume: bool, progress_bar: bool) -> TrainResult:
    last = run_dir / "checkpoints" / "last.ckpt"
    if resume and not last.exists():
        raise SeldError("--resume: no checkpoints/last.ckpt to resume from", run_dir)
    if not resume and last.exists():
        raise SeldError("run folder already holds a training run; use --resume or another --out", run_dir)
    if run_dir.is_dir():  # temporary files of a run that was killed while writing
        for folder in (run_dir, run_dir / "checkpoints"):
            for stale in remove_stale_temps(folder):
                log.info("removed %s (left by an interrupted write)", stale)
    L.seed_everything(cfg.train.seed, workers=True, verbose=False)
    system = SELDSystem.from_config(cfg)
    if resume:
        _check_resumable(system, last, cfg.train.max_epochs)
    dm = SELDDataModule(cfg, system.format)
    dm.load()
    new_folder = [p.name for p in run_dir.iterdir()] == [LOCK_NAME]
    _feature_stats(system, dm, run_dir)  # before the Trainer, which may switch on deterministic algorithms
    write_text_atomic(run_dir / "config.yaml", dump_config(cfg))
    if cfg.train.compile:
        system.model = torch.compile(system.model)  # type: ignore[assignment]
    try:
        trainer = build_trainer(cfg, run_dir, progress_bar=progress_bar)
    except (MisconfigurationException, ValueError, ImportError) as exc:  # e.g. precision, strategy, accelerator
        if new_folder:  # nothing was trained: leave no half-made run folder behind
            shutil.rmtree(run_dir, ignore_errors=True)
        raise ConfigError(f"invalid train settings: {str(exc).strip().splitlines()[0]}") from None
    earlier_logs = _set_aside_metric_log(run_dir, last) if resume else None
    try:
        trainer.fit(system, datamodule=dm, ckpt_path=str(last) if resume else None, weights_only=True)
    finally:
        if earlier_logs is not None:
            _merge_metric_logs(run_dir, earlier_logs)
    ckpt_cb = trainer.checkpoint_callback
    best = Path(ckpt_cb.best_model_path) if ckpt_cb and ckpt_cb.best_model_path else None
    score = ckpt_cb.best_model_score if ckpt_cb else None
    if cfg.train.calibrate_thresholds and best is not None and trainer.is_global_zero and dm.val_clips:
        # the checkpoint that gets used: the best one, or the last when validation never scored (seld.pipeline)
        target = best if score is not None and float(score) > 0 else last
        cal = calibrate_checkpoint(target, dm.val_clips, show_progress=progress_bar)
        print(describe(cal, dm.dataset.classes), flush=True)
    return TrainResult(run_dir, best, last if last.exists() else None,
                       None if score is None else float(score), trainer.current_epoch)
