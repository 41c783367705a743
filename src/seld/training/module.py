"""The LightningModule: one training step = model, the output format's loss, loss weighting; validation =
the F-score. The system is handed its parts (model, output format, weighting) by :meth:`from_config`."""

from __future__ import annotations

import math
from typing import Any

import lightning as L
import numpy as np
import torch

from ..build import build_model, build_weighting
from ..config import ExperimentConfig, config_from_dict, config_to_dict
from ..data.foa_augment import random_matrices, transform_foa
from ..datasets import get_dataset
from ..errors import SeldError
from ..formats import get_format
from .data import DeviceBank

CHECKPOINT_FORMAT = 1
FINITE_CHECK_EVERY = 50
"""Steps between host reads of the non-finite-loss flag (also read at the end of every epoch)."""


class NonFiniteLossError(SeldError):
    """The training loss became NaN or infinite."""


class SELDSystem(L.LightningModule):
    """Trains any model of :mod:`seld.models` with its criterion and the configured loss weighting."""

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        self.save_hyperparameters({"config": config})
        self.cfg: ExperimentConfig = config_from_dict(config)
        self.model = build_model(self.cfg)
        self.output_format: str = self.model.output_format
        self.format = get_format(self.output_format)
        self.criterion = self.format.criterion(doa_mask=self.cfg.loss.doa_mask)
        self.weighting = build_weighting(self.cfg.loss)
        self.scorer = get_dataset(self.cfg.data.format).scorer()
        self._val_counts: np.ndarray | None = None
        self._val_losses: list[torch.Tensor] = []
        self._first_bad_step: torch.Tensor | None = None
        self._bank: DeviceBank | None = None

    @classmethod
    def from_config(cls, cfg: ExperimentConfig) -> SELDSystem:
        return cls(config_to_dict(cfg))

    def forward(self, wave: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.model(wave)

    # ---------------------------------------------------------------- training
    def _augment(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The batch's waveforms and targets after the configured augmentations (on the batch's device):
        FOA rotations/reflections (labels turned to match), then Gaussian noise."""
        wave = batch["wave"]
        targets = {k: v for k, v in batch.items() if k != "wave"}
        kind = self.cfg.train.foa_augment
        if kind != "none":
            matrices = random_matrices(kind, wave.shape[0]).to(wave.device)  # CPU RNG: resumable with its state
            wave = transform_foa(wave, matrices)
            targets = self.format.transform_targets(targets, matrices)
        std = self.cfg.train.noise_std
        if std > 0:
            rms = wave.pow(2).mean(dim=(-1, -2), keepdim=True).sqrt()
            wave = wave + std * rms * torch.randn_like(wave)
        return wave, targets

    def on_fit_start(self) -> None:
        dm = getattr(self.trainer, "datamodule", None)
        if getattr(dm, "on_device", False):
            self._bank = DeviceBank(dm.train_clips, dm.chunk_frames, self.device)

    def _training_batch(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The batch's waveforms and targets: chunk plans are cut from the device-resident clips."""
        if "clip" not in batch:
            return batch
        if self._bank is None:
            raise SeldError("the training batches are chunk plans but no device bank was built")
        return self._bank.gather(batch["clip"], batch["start"], batch["shift"])

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        batch = self._training_batch(batch)
        wave, targets = self._augment(batch)
        losses = self.criterion(self.model(wave), targets)
        l_sed, l_doa = losses["l_sed"], losses["l_doa"]
        total = self.weighting.combine(l_sed, l_doa)
        self._note_non_finite(total.detach())
        last_batch = batch_idx + 1 >= self.trainer.num_training_batches
        if last_batch or (self.global_step + 1) % FINITE_CHECK_EVERY == 0:
            self._check_finite(total, l_sed, l_doa)
        # 0-d tensors: summed on the device, read once when a record closes (no per-step host sync). A record
        # of record_window steps closes itself; a one-epoch record closes here, before validation, so that
        # the epoch-end checkpoint holds it.
        self.weighting.record(l_sed.detach(), l_doa.detach())
        if last_batch:
            self.weighting.on_epoch_end()
        bs = wave.shape[0]
        self.log("train/loss", total, prog_bar=True, batch_size=bs)
        self.log_dict({"train/l_sed": l_sed, "train/l_doa": l_doa}, batch_size=bs)
        return total

    def _note_non_finite(self, total: torch.Tensor) -> None:
        """Remember (on the device, without a host sync) the first step whose loss was NaN or infinite."""
        if self._first_bad_step is None or self._first_bad_step.device != total.device:
            self._first_bad_step = torch.full((), -1, dtype=torch.long, device=total.device)
        bad = ~torch.isfinite(total) & (self._first_bad_step < 0)
        step = torch.full((), self.global_step, dtype=torch.long, device=total.device)
        self._first_bad_step = torch.where(bad, step, self._first_bad_step)

    def _check_finite(self, total: torch.Tensor, l_sed: torch.Tensor, l_doa: torch.Tensor) -> None:
        """Stop on a non-finite loss: one host read every ``FINITE_CHECK_EVERY`` steps and at the end of an
        epoch, before its checkpoint is written, so that the last good checkpoint stays untouched."""
        first = int(self._first_bad_step) if self._first_bad_step is not None else -1
        if first < 0:
            return
        raise NonFiniteLossError(
            f"training loss is non-finite since step {first} (epoch {self.current_epoch}; at step "
            f"{self.global_step}: loss {total.item():.4g}, l_sed={l_sed.item():.4g}, l_doa={l_doa.item():.4g}); "
            "stopped, the last good checkpoint is kept"
        )

    def on_train_epoch_end(self) -> None:
        w = self.weighting
        self.log_dict({f"weight/{k}": float(v) for k, v in w.log_values().items()}, sync_dist=False)

    # -------------------------------------------------------------- validation
    def on_validation_epoch_start(self) -> None:
        self._val_counts = None
        self._val_losses = []

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        clip = self.trainer.datamodule.val_clips[int(batch["index"][0])]
        out = self.model(batch["wave"])
        targets = {k: v[None].to(self.device) for k, v in clip.targets.items()}
        losses = self.criterion(out, targets)
        self._val_losses.append(torch.stack([losses["l_sed"].detach(), losses["l_doa"].detach()]).float().cpu())
        post = {k: v[0] for k, v in self.format.posteriors(out).items()}
        rows = self.format.decode(post, self.cfg.train.sed_threshold)
        counts = self.scorer.counts(rows, clip.reference, clip.n_frames)
        self._val_counts = counts if self._val_counts is None else self._val_counts + counts

    def on_validation_epoch_end(self) -> None:
        own = self.scorer.zeros() if self._val_counts is None else self._val_counts  # a rank may get no clip
        counts = torch.from_numpy(own).to(self.device)
        if self.trainer.world_size > 1:
            counts = self.trainer.strategy.reduce(counts, reduce_op="sum")
        scores = self.scorer.scores(counts.cpu().double().numpy())
        mean = torch.stack(self._val_losses).mean(0) if self._val_losses else torch.zeros(2)
        self.log("val/f_score", scores.pop("f_score"), prog_bar=True, sync_dist=False)
        self.log_dict({**{f"val/{k}": float(v) for k, v in scores.items()},
                       "val/l_sed": float(mean[0]), "val/l_doa": float(mean[1])})

    # --------------------------------------------------------------- optimiser
    def configure_optimizers(self) -> dict[str, Any]:
        t = self.cfg.train
        params = [p for p in self.parameters() if p.requires_grad]
        if t.optimizer == "adabelief":
            from pytorch_optimizer import AdaBelief

            opt = AdaBelief(params, lr=t.lr, weight_decay=t.weight_decay, eps=1e-16)
        elif t.optimizer == "adamw":
            opt = torch.optim.AdamW(params, lr=t.lr, weight_decay=t.weight_decay)
        else:
            opt = torch.optim.Adam(params, lr=t.lr, weight_decay=t.weight_decay)
        total = max(1, int(self.trainer.estimated_stepping_batches)) if self._trainer else 1
        if not math.isfinite(total):
            total = 1
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total, eta_min=t.min_lr)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    # ------------------------------------------------------------- checkpoints
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["seld"] = {
            "format": CHECKPOINT_FORMAT,
            "output_format": self.output_format,
            "loss_weighting": self.weighting.state_dict(),
            "torch_rng_state": torch.get_rng_state(),
        }

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        extra = checkpoint.get("seld", {})
        if "loss_weighting" in extra:
            self.weighting.load_state_dict(extra["loss_weighting"])
        if "torch_rng_state" in extra:
            torch.set_rng_state(extra["torch_rng_state"])
