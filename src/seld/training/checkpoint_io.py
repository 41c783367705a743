"""Checkpoint file I/O: atomic writes, and loads that never execute code (``weights_only=True``)."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path
from typing import Any

import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO

from ..errors import CheckpointError
from ..io_utils import atomic_path


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


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning checkpoint I/O that writes to a temporary file and renames it into place."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Any = None) -> None:
        with atomic_path(path) as tmp:
            torch.save(checkpoint, tmp)

    def load_checkpoint(self, path: Any, map_location: Any = None, weights_only: bool | None = None) -> dict[str, Any]:
        return load_checkpoint_file(path, map_location=map_location or "cpu")
