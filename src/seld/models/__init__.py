"""SELD networks: the paper's cross-stitch network and the SELDnet baseline (see docs/interfaces.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from torch import nn

if TYPE_CHECKING:
    from ..config import ExperimentConfig

MODEL_NAMES: tuple[str, ...] = ("crossstitch", "seldnet")


def build_model(cfg: ExperimentConfig) -> nn.Module:
    """Build the network named by ``cfg.model.name`` for ``cfg.data.mics`` microphones."""
    name = cfg.model.name
    if name == "crossstitch":
        from .crossstitch_seld import CrossStitchSELD

        return CrossStitchSELD(cfg.model, cfg.features, mics=cfg.data.mics)
    if name == "seldnet":
        from .seldnet import SELDnet

        return SELDnet(cfg.model, mics=cfg.data.mics, hop=cfg.features.hop)
    raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODEL_NAMES)}")


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


__all__ = ["MODEL_NAMES", "build_model", "count_parameters"]
