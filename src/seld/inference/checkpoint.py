"""Load trained models from checkpoints (safely: tensors and plain data only)."""

from __future__ import annotations

from pathlib import Path

import torch

from ..config import ExperimentConfig, config_from_dict, validate_config
from ..errors import CheckpointError, ConfigError
from ..models import build_model
from ..training.checkpoint_io import load_checkpoint_file


def load_model(path: str | Path, device: str | torch.device = "cpu") -> tuple[torch.nn.Module, ExperimentConfig]:
    """Rebuild the model a seld checkpoint was trained with and load its weights (eval mode)."""
    ckpt = load_checkpoint_file(path)
    config = ckpt.get("hyper_parameters", {}).get("config") if isinstance(ckpt.get("hyper_parameters"), dict) else None
    if not isinstance(config, dict) or not isinstance(ckpt.get("state_dict"), dict):
        raise CheckpointError("not a seld checkpoint (no model config or state_dict inside)", path)
    try:
        cfg = config_from_dict(config)
        validate_config(cfg)
    except ConfigError as exc:
        raise CheckpointError(f"checkpoint holds an invalid config ({exc})", path) from None
    model = build_model(cfg)
    bad = [k for k, v in ckpt["state_dict"].items()
           if isinstance(v, torch.Tensor) and v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        raise CheckpointError(f"weights contain NaN or infinite values ({bad[0]})", path)
    state = {
        k.removeprefix("model.").replace("_orig_mod.", ""): v
        for k, v in ckpt["state_dict"].items()
        if k.startswith("model.")
    }
    try:
        model.load_state_dict(state)
    except (RuntimeError, TypeError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise CheckpointError(f"weights do not fit the model named in the checkpoint ({first[:200]})", path) from None
    return model.to(device).eval(), cfg
