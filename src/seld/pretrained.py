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


def slim_checkpoint(src: str | Path, dst: str | Path) -> Path:
    """Keep only what inference needs (model weights, feature statistics, config) from a training
    checkpoint: no optimizer or loop state, a fraction of the size."""
    import torch

    from .io_utils import atomic_path
    from .training.checkpoint_io import load_checkpoint_file

    ckpt = load_checkpoint_file(src)
    slim = {
        "state_dict": {k: v for k, v in ckpt["state_dict"].items() if k.startswith("model.")},
        "hyper_parameters": ckpt["hyper_parameters"],
        "epoch": ckpt.get("epoch"),
        "global_step": ckpt.get("global_step"),
        "seld": {k: v for k, v in ckpt.get("seld", {}).items() if k in ("format", "output_format")},
    }
    with atomic_path(dst) as tmp:
        torch.save(slim, tmp)
    return Path(dst)
