"""Load trained models from checkpoints (safely: tensors and plain data only)."""

from __future__ import annotations

from pathlib import Path

import torch

from ..config import ExperimentConfig, config_from_dict
from ..errors import CheckpointError, ConfigError
from ..models import build_model
from ..training.checkpoint_io import load_checkpoint_file


def load_model(path: str | Path, device: str | torch.device = "cpu") -> tuple[torch.nn.Module, ExperimentConfig]:
    """Rebuild the model a seld checkpoint was trained with and load its weights (eval mode)."""
    ckpt = load_checkpoint_file(path)
    config = ckpt.get("hyper_parameters", {}).get("config") if isinstance(ckpt.get("hyper_parameters"), dict) else None
    if not isinstance(config, dict) or "state_dict" not in ckpt:
        raise CheckpointError("not a seld checkpoint (no model config or state_dict inside)", path)
    try:
        cfg = config_from_dict(config)
    except ConfigError as exc:
        raise CheckpointError(f"checkpoint holds an invalid config ({exc})", path) from None
    model = build_model(cfg)
    state = {
        k.removeprefix("model.").replace("_orig_mod.", ""): v
        for k, v in ckpt["state_dict"].items()
        if k.startswith("model.")
    }
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise CheckpointError(f"weights do not fit the model named in the checkpoint ({first[:200]})", path) from None
    return model.to(device).eval(), cfg
