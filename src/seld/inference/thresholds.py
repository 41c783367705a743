"""Which detection threshold(s) inference decodes with: the fixed one, a given one, or the calibrated ones."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..checkpoints import stored_thresholds
from ..errors import CheckpointError, SeldError

CHOICES = "calibrated | <probability, e.g. 0.5>"


def parse_threshold_spec(spec: str | float | None) -> str | float | None:
    """``None`` (automatic), ``"calibrated"`` or a probability in [0, 1]; anything else is a one-line error."""
    if spec is None or isinstance(spec, float):
        value = spec
    elif str(spec).strip().lower() == "calibrated":
        return "calibrated"
    else:
        try:
            value = float(spec)
        except ValueError:
            raise SeldError(f"--thresholds must be {CHOICES}, got {spec!r}") from None
    if value is not None and not 0 <= value <= 1:
        raise SeldError(f"--thresholds is a probability in [0, 1], got {value}")
    return value


def resolve_thresholds(spec: str | float | None, checkpoints: Sequence[str | Path], default: float,
                       num_classes: int) -> float | np.ndarray:
    """The threshold(s) to decode with.

    ``None``: the calibrated per-class values when every checkpoint holds them (their mean for an ensemble),
    else ``default`` (the config's fixed threshold, 0.5 in the paper). ``"calibrated"``: the calibrated values,
    an error naming the checkpoint that has none. A number: that threshold for every class.
    """
    spec = parse_threshold_spec(spec)
    if isinstance(spec, float):
        return spec
    stored = [stored_thresholds(c, num_classes) for c in checkpoints]
    missing = [c for c, s in zip(checkpoints, stored, strict=True) if s is None]
    if missing:
        if spec == "calibrated":
            raise CheckpointError("the checkpoint holds no calibrated thresholds (run: seld calibrate CKPT --data "
                                  "ROOT)", missing[0])
        return float(default)
    return np.mean(np.stack(stored), axis=0)  # type: ignore[arg-type]
