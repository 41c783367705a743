"""Losses: PIT for track outputs, the official SELDnet loss, and SED/DOA loss weighting (eq. 8-13)."""

from __future__ import annotations

from .pit import PERMUTATIONS, PITLoss, pit_loss
from .seldnet_loss import SELDnetLoss
from .weighting import AdaptiveLossWeighting, FixedLossWeighting, LossWeighting

__all__ = [
    "PERMUTATIONS",
    "AdaptiveLossWeighting",
    "FixedLossWeighting",
    "LossWeighting",
    "PITLoss",
    "SELDnetLoss",
    "pit_loss",
]
