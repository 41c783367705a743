"""Losses (PIT for track outputs, the official SELDnet loss) and SED/DOA loss weighting."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import torch

from .pit import PERMUTATIONS, PITLoss, pit_loss
from .seldnet_loss import SELDnetLoss
from .weighting import AdaptiveLossWeighting, FixedLossWeighting, LossWeighting

if TYPE_CHECKING:
    from ..config import ExperimentConfig, LossConfig

Criterion = Callable[[dict[str, torch.Tensor], dict[str, torch.Tensor]], dict[str, torch.Tensor]]


def build_criterion(cfg: ExperimentConfig, output_format: str) -> Criterion:
    """Loss for a model's ``output_format``: ``tracks`` -> PIT, ``slots`` -> official SELDnet loss."""
    if output_format == "tracks":
        return PITLoss(doa_mask=cfg.loss.doa_mask)
    if output_format == "slots":
        return SELDnetLoss()
    raise ValueError(f"unknown output format {output_format!r}; expected tracks or slots")


def build_weighting(loss_cfg: LossConfig) -> LossWeighting:
    """``adaptive`` -> :class:`AdaptiveLossWeighting`, ``fixed`` -> :class:`FixedLossWeighting`."""
    if loss_cfg.weighting == "adaptive":
        return AdaptiveLossWeighting(mu=loss_cfg.mu, record_window=loss_cfg.record_window)
    if loss_cfg.weighting == "fixed":
        return FixedLossWeighting(loss_cfg.lambda_sed, loss_cfg.tau_doa)
    raise ValueError(f"unknown loss weighting {loss_cfg.weighting!r}; expected adaptive or fixed")


__all__ = [
    "PERMUTATIONS",
    "AdaptiveLossWeighting",
    "Criterion",
    "FixedLossWeighting",
    "LossWeighting",
    "PITLoss",
    "SELDnetLoss",
    "build_criterion",
    "build_weighting",
    "pit_loss",
]
