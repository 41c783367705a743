"""The paper's 3-track output trained with frame-level PIT: ``sed`` (T, 3, classes), ``doa`` (T, 3, 3) metres.

Tracks are interchangeable, so two outputs are aligned before averaging (overlapping windows of a clip,
the track-wise ensemble of docs/design.md): per frame, the permutation of the candidate's 3 tracks that
best matches the reference is applied.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..data.foa_augment import transform_points
from ..data.l3das22 import slots_to_tracks
from ..losses.pit import PERMUTATIONS, PITLoss
from .base import Criterion, OutputFormat, Outputs

_PERMS = torch.tensor(PERMUTATIONS, dtype=torch.long)  # (6, 3), the PIT loss's order


def alignment_cost(ref_sed: torch.Tensor, ref_doa: torch.Tensor, sed: torch.Tensor, doa: torch.Tensor) -> torch.Tensor:
    """Cost (T, 6) of each permutation of the candidate tracks against the reference.

    Class posteriors differ by L1 distance; positions count (in metres) only where both tracks are active.
    ``*_sed`` are probabilities (T, Q, E); ``*_doa`` positions (T, Q, 3).
    """
    perms = _PERMS.to(sed.device)
    p_sed = sed[:, perms]  # (T, 6, Q, E)
    p_doa = doa[:, perms]  # (T, 6, Q, 3)
    sed_cost = (ref_sed[:, None] - p_sed).abs().sum(dim=(-1, -2))
    both_active = ref_sed.amax(-1)[:, None] * p_sed.amax(-1)  # (T, 6, Q)
    doa_cost = (both_active * (ref_doa[:, None] - p_doa).norm(dim=-1)).sum(-1)
    return sed_cost + doa_cost


def align_tracks(
    ref_sed: torch.Tensor, ref_doa: torch.Tensor, sed: torch.Tensor, doa: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Permute the candidate's tracks per frame to best match the reference."""
    best = alignment_cost(ref_sed, ref_doa, sed, doa).argmin(-1)  # (T,)
    perm = _PERMS.to(sed.device)[best]  # (T, Q)
    idx = torch.arange(sed.shape[0], device=sed.device)[:, None]
    return sed[idx, perm], doa[idx, perm]


def decode_tracks(sed_prob: np.ndarray, doa: np.ndarray, threshold: float | np.ndarray = 0.5) -> np.ndarray:
    """Track outputs ``sed_prob`` (T, 3, C) probabilities and ``doa`` (T, 3, 3) metres -> rows (K, 5).

    Each active (track, class) gives a row with its track's coordinates (a track may report several
    classes at once). Rows are ordered by frame, then track, then class. Active means strictly above the
    threshold (a number, or one per class (C,)): with 0.5 this is the official ``np.round(sigmoid)`` rule (numpy
    rounds 0.5 to 0).
    """
    sed_prob = np.asarray(sed_prob)
    doa = np.asarray(doa, dtype=np.float64)
    if sed_prob.ndim != 3 or doa.ndim != 3 or sed_prob.shape[:2] != doa.shape[:2] or doa.shape[2] != 3:
        raise ValueError(f"expected sed (T, Q, C) and doa (T, Q, 3), got {sed_prob.shape} and {doa.shape}")
    # the threshold in the posteriors' precision, whether one number or one per class (float32 0.6 is not above 0.6)
    thr = np.asarray(threshold, dtype=sed_prob.dtype if sed_prob.dtype.kind == "f" else np.float64)
    frames, tracks, classes = np.nonzero(sed_prob > thr)  # C order: frame, track, class
    rows = np.empty((len(frames), 5), dtype=np.float64)
    rows[:, 0], rows[:, 1], rows[:, 2:] = frames, classes, doa[frames, tracks]
    return rows


class TrackFormat(OutputFormat):
    """3 tracks x (class activities, one position); PIT loss (eq. 5-7)."""

    name = "tracks"

    def targets(self, active: np.ndarray, xyz: np.ndarray, path: str | Path | None = None) -> Outputs:
        sed, doa = slots_to_tracks(active, xyz, path=path)
        return {"sed": torch.from_numpy(np.ascontiguousarray(sed)), "doa": torch.from_numpy(np.ascontiguousarray(doa))}

    def criterion(self, doa_mask: bool = True) -> Criterion:
        return PITLoss(doa_mask=doa_mask)

    def decode(self, post: Outputs, threshold: float | np.ndarray) -> np.ndarray:
        return decode_tracks(post["sed"].float().cpu().numpy(), post["doa"].float().cpu().numpy(), threshold)

    def transform_targets(self, targets: Outputs, matrices: torch.Tensor) -> Outputs:
        return {**targets, "doa": transform_points(targets["doa"], matrices)}

    def align(self, reference: Outputs, candidate: Outputs) -> Outputs:
        sed, doa = align_tracks(reference["sed"], reference["doa"], candidate["sed"], candidate["doa"])
        return {"sed": sed, "doa": doa}
