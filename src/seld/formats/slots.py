"""The L3DAS22 organisers' slot output (SELDnet): ``sed`` (T, 42) = class * 3 + slot, ``doa`` (T, 126) in the
official /2 units, trained with the official loss (BCE + masked MSE)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..constants import COORD_SCALE, MAX_SLOTS, NUM_CLASSES
from ..data.foa_augment import transform_points
from ..data.l3das22 import slots_to_official
from ..losses.seldnet_loss import SELDnetLoss
from .base import Criterion, OutputFormat, Outputs


def decode_slots(sed_prob: np.ndarray, doa: np.ndarray, threshold: float | np.ndarray = 0.5) -> np.ndarray:
    """Official slot outputs ``sed_prob`` (T, 42) and ``doa`` (T, 126) in /2 units -> rows (K, 5).

    Slot ``class * 3 + s`` is active when its probability exceeds the threshold (one number, or one per class;
    0.5 is the official ``np.round`` rule); its coordinates are ``doa[(class * 3 + s) * 3 : +3] * 2`` (metres).
    Rows are ordered by frame, then class, then slot, as the official decoder writes them.
    """
    sed_prob = np.asarray(sed_prob)
    doa = np.asarray(doa, dtype=np.float64)
    n_slots = NUM_CLASSES * MAX_SLOTS
    if sed_prob.ndim != 2 or sed_prob.shape[1] != n_slots or doa.shape != (sed_prob.shape[0], 3 * n_slots):
        raise ValueError(f"expected sed (T, {n_slots}) and doa (T, {3 * n_slots}), got {sed_prob.shape}, {doa.shape}")
    thr = np.asarray(threshold, dtype=sed_prob.dtype if sed_prob.dtype.kind == "f" else np.float64)
    frames, slots = np.nonzero(sed_prob > (np.repeat(thr, MAX_SLOTS) if thr.ndim else thr))
    rows = np.empty((len(frames), 5), dtype=np.float64)
    rows[:, 0], rows[:, 1] = frames, slots // MAX_SLOTS
    rows[:, 2:] = doa.reshape(doa.shape[0], n_slots, 3)[frames, slots] * COORD_SCALE
    return rows


class SlotFormat(OutputFormat):
    """3 slots per class, each (activity, position); slots are tied to classes, so no alignment."""

    name = "slots"

    def targets(self, active: np.ndarray, xyz: np.ndarray, path: str | Path | None = None) -> Outputs:
        matrix = slots_to_official(active, xyz)
        n_sed = NUM_CLASSES * MAX_SLOTS
        return {"sed": torch.from_numpy(matrix[:, :n_sed].copy()), "doa": torch.from_numpy(matrix[:, n_sed:].copy())}

    def criterion(self, doa_mask: bool = True) -> Criterion:
        return SELDnetLoss()

    def decode(self, post: Outputs, threshold: float | np.ndarray) -> np.ndarray:
        return decode_slots(post["sed"].float().cpu().numpy(), post["doa"].float().cpu().numpy(), threshold)

    def transform_targets(self, targets: Outputs, matrices: torch.Tensor) -> Outputs:
        doa = targets["doa"]  # (B, T, 126): slot-major x, y, z (a linear map commutes with the /2 units)
        turned = transform_points(doa.reshape(*doa.shape[:-1], -1, 3), matrices).reshape(doa.shape)
        return {**targets, "doa": turned}
