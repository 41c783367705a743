"""Checkpoint files: safe loading (``weights_only=True``: tensors and plain data only, never code) and
rebuilding a trained model from one. Training (resume) and inference (predict, export) both load here."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .build import build_model
from .config import ExperimentConfig, config_from_dict, validate_config
from .errors import CheckpointError, ConfigError
from .io_utils import atomic_path
from .models import SELDModel


def _refusal_reason(message: str) -> str:
    """The informative line of torch's weights-only refusal (the rest is generic advice)."""
    lines = [ln.strip() for ln in message.splitlines() if ln.strip()]
    for ln in lines:
        if "unsupported global" in ln.lower() or ln.lower().startswith("unsupported"):
            return ln
    return lines[-1] if lines else "unsafe content"


def load_checkpoint_file(path: str | Path, map_location: Any = "cpu") -> dict[str, Any]:
    """Load a checkpoint safely; anything that is not plain tensors and containers is refused."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError("checkpoint file not found", path)
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise CheckpointError(f"cannot read checkpoint: {exc.strerror}", path) from None
    # torch.save writes a zip archive; the legacy format and plain pickles start with the PROTO opcode
    if not (magic.startswith(b"PK\x03\x04") or magic[:1] == b"\x80"):
        raise CheckpointError("not a PyTorch checkpoint file (neither a torch zip archive nor a pickle)", path)
    try:
        with warnings.catch_warnings():  # e.g. torch's note on the pickle protocol of a crafted file
            warnings.simplefilter("ignore")
            ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(
            "refused to load: the file holds objects other than tensors and plain data, which could run "
            f"code when unpickled; seld loads checkpoints with weights_only=True ({_refusal_reason(str(exc))[:160]})",
            path,
        ) from None
    except (RuntimeError, EOFError, ValueError, OSError, KeyError, AttributeError, TypeError) as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"not a readable checkpoint ({msg[:160]})", path) from None
    if not isinstance(ckpt, dict):
        raise CheckpointError("not a seld checkpoint (top level is not a mapping)", path)
    return ckpt


def load_model(path: str | Path, device: str | torch.device = "cpu") -> tuple[SELDModel, ExperimentConfig]:
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


def slim_checkpoint(src: str | Path, dst: str | Path) -> Path:
    """Keep only what inference needs (model weights, feature statistics, config) from a training
    checkpoint: no optimizer or loop state, a fraction of the size."""
    ckpt = load_checkpoint_file(src)
    slim = {
        "state_dict": {k: v for k, v in ckpt["state_dict"].items() if k.startswith("model.")},
        "hyper_parameters": ckpt["hyper_parameters"],
        "epoch": ckpt.get("epoch"),
        "global_step": ckpt.get("global_step"),
        "seld": {k: v for k, v in ckpt.get("seld", {}).items() if k in ("format", "output_format", "thresholds")},
    }
    with atomic_path(dst) as tmp:
        torch.save(slim, tmp)
    return Path(dst)


def stored_thresholds(path: str | Path, num_classes: int | None = None) -> np.ndarray | None:
    """The per-class detection thresholds calibrated into a checkpoint (``seld calibrate``), or None."""
    info = load_checkpoint_file(path).get("seld", {}).get("thresholds")
    if info is None:
        return None
    try:
        values = np.asarray(info["values"], dtype=np.float64)
    except (KeyError, TypeError, ValueError):
        raise CheckpointError("checkpoint holds malformed calibrated thresholds", path) from None
    if values.ndim != 1 or not np.all((values >= 0) & (values <= 1)) or (num_classes and len(values) != num_classes):
        raise CheckpointError(f"checkpoint holds malformed calibrated thresholds (shape {values.shape})", path)
    return values


def store_thresholds(path: str | Path, info: dict[str, Any]) -> None:
    """Write calibrated thresholds (plain data, ``info["values"]`` one per class) into a checkpoint, atomically."""
    ckpt = load_checkpoint_file(path)
    ckpt.setdefault("seld", {})["thresholds"] = info
    with atomic_path(path) as tmp:
        torch.save(ckpt, tmp)
