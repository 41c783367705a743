"""SELD networks: the paper's cross-stitch network and the SELDnet baseline, built from plain arguments.

    from seld.models import CrossStitchSELD
    model = CrossStitchSELD(mics=1)            # the paper's network
    out = model(waveforms)                     # {"sed": (B, T, 3, 14) logits, "doa": (B, T, 3, 3) metres}

``seld.build.build_model(cfg)`` maps a YAML config onto these arguments.
"""

from __future__ import annotations

from torch import nn

from .base import SELDModel
from .crossstitch_seld import CrossStitchSELD
from .seldnet import SELDnet

MODEL_NAMES: tuple[str, ...] = ("crossstitch", "seldnet")


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


__all__ = ["MODEL_NAMES", "CrossStitchSELD", "SELDModel", "SELDnet", "count_parameters"]
