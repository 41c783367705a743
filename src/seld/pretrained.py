"""The shipped demo checkpoint (trained on synthetic data), so ``seld predict pretrained x.wav`` works."""

from __future__ import annotations

from pathlib import Path

from .errors import CheckpointError

PRETRAINED_DIR = Path(__file__).parent / "pretrained"
PRETRAINED_DEMO = PRETRAINED_DIR / "demo.ckpt"


def resolve_checkpoint(name: str) -> Path:
    """``pretrained`` names the shipped demo model; anything else is a path."""
    if name != "pretrained":
        return Path(name)
    if not PRETRAINED_DEMO.exists():
        raise CheckpointError("the shipped demo checkpoint is missing from this install", PRETRAINED_DEMO)
    return PRETRAINED_DEMO

