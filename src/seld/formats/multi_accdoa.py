"""Multi-ACCDOA trained with ADPIT, the output of the official DCASE 2024 baseline.

Layout: 3 tracks x (x, y, z, distance) x classes per frame. A model with this format outputs ``accdoa``
(B, T, 3, 3, C): per track and class an activity-coupled direction vector whose norm is the activity,
and ``dist`` (B, T, 3, C) metres.

* **Targets** (:func:`adpit_targets`): the official ADPIT labels (T, 6, 5, C); axis 0 activity, 1-3 unit
  direction, 4 distance (metres). Per frame and class with n active instances: n = 1 fills slot 0 (A0);
  n = 2 fills slots 1, 2 (B0, B1); n >= 3 fills slots 3, 4, 5 (C0, C1, C2) with the first three, the
  rest being dropped, as the official baseline does.
* **Loss** (:class:`ADPITLoss`): the official ADPIT loss, best of 13 duplicated target triples per
  (batch, frame, class), split into a direction part and a distance part (see the class).
* **Decoding** (:func:`decode_multi_accdoa`): the official inference, including the unification of
  tracks of one class whose directions are within 15 degrees, with positions in metres.
* **Alignment**: none. A track of one class is not a free label like a PIT track: ADPIT pins a single
  instance to all three tracks and two instances to a fixed duplication pattern, so a per-frame track
  permutation of one output against another would not make the two comparable; the official baseline
  averages nothing across tracks either. Windows and models are averaged as they are.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch

from ..constants import N_TRACKS
from ..data.foa_augment import transform_points
from .base import Criterion, OutputFormat, Outputs

ADPIT_SLOTS = 6  # A0; B0, B1; C0, C1, C2
A0, B0, B1, C0, C1, C2 = range(ADPIT_SLOTS)
# The 13 candidate target triples (track 0, 1, 2), in the official order.
CANDIDATES: tuple[tuple[int, int, int], ...] = (
    (A0, A0, A0),
    (B0, B0, B1), (B0, B1, B0), (B0, B1, B1), (B1, B0, B0), (B1, B0, B1), (B1, B1, B0),
    (C0, C1, C2), (C0, C2, C1), (C1, C0, C2), (C1, C2, C0), (C2, C0, C1), (C2, C1, C0),
)  # fmt: skip
# Which group (A, B or C) each candidate belongs to: it is padded with the other two groups' first triples.
CANDIDATE_GROUP: tuple[int, ...] = (0,) + (1,) * 6 + (2,) * 6
UNIFY_DEGREES = 15.0  # the official thresh_unify
N_VALUES = 4  # x, y, z, distance per track and class

_CANDIDATES = torch.tensor(CANDIDATES, dtype=torch.long)  # (13, 3)
_GROUP = torch.tensor(CANDIDATE_GROUP, dtype=torch.long)  # (13,)


def adpit_targets(active: np.ndarray, xyz: np.ndarray, path: str | Path | None = None) -> np.ndarray:
    """Official ADPIT targets (T, 6, 5, C) float32 from slot labels.

    ``active`` (T, C, S) bool and ``xyz`` (T, C, S, 3) source positions in metres (a unit vector where
    the data has no distance). Axis 0 is the activity, 1-3 the unit direction (position / its norm),
    4 the distance in metres (the norm). The active slots of a class are taken in slot order (the label
    row order): one goes to A0, two to B0, B1, three or more to C0, C1, C2 (the first three; any further
    instance is dropped with a warning naming ``path``, as the official labels drop it).
    """
    active = np.asarray(active, dtype=bool)
    pos = np.asarray(xyz, dtype=np.float64)
    if active.ndim != 3 or pos.shape != (*active.shape, 3):
        raise ValueError(f"expected active (T, C, S) and xyz (T, C, S, 3), got {active.shape} and {pos.shape}")
    n_frames, n_classes, _ = active.shape
    rank = np.cumsum(active, axis=-1) - 1  # order of an active slot among its class's active slots
    count = active.sum(axis=-1, keepdims=True)
    keep = active & (rank < N_TRACKS)
    if (count > N_TRACKS).any():
        frames = np.unique(np.nonzero(count[..., 0] > N_TRACKS)[0])
        warnings.warn(
            f"{path if path is not None else 'labels'}: {frames.size} frame(s) hold more than {N_TRACKS} active "
            f"instances of one class (first at frame {int(frames[0])}); the ADPIT targets keep the first "
            f"{N_TRACKS} of each class, as the official labels do",
            stacklevel=2,
        )
    slot = np.where(count == 1, A0, np.where(count == 2, B0 + rank, C0 + rank))
    t, c, s = np.nonzero(keep)
    k = slot[t, c, s]
    p = pos[t, c, s]  # (K, 3)
    dist = np.linalg.norm(p, axis=-1)
    unit = np.divide(p, dist[:, None], out=np.zeros_like(p), where=dist[:, None] > 0)
    out = np.zeros((n_frames, ADPIT_SLOTS, 1 + N_VALUES, n_classes), dtype=np.float32)
    out[t, k, 0, c] = 1.0
    out[t, k, 1:4, c] = unit  # advanced indices first: (K, 3)
    out[t, k, 4, c] = dist
    return out


def stack_outputs(outputs: Outputs) -> torch.Tensor:
    """The model's ``accdoa`` (B, T, 3, 3, C) and ``dist`` (B, T, 3, C) as the official (B, T, 3, 4, C), float32."""
    accdoa, dist = outputs["accdoa"], outputs["dist"]
    if accdoa.dim() < 4 or accdoa.shape[-2] != 3 or dist.shape != accdoa.shape[:-2] + accdoa.shape[-1:]:
        raise ValueError(
            f"expected accdoa (..., 3, 3, C) and dist (..., 3, C), got {tuple(accdoa.shape)}, {tuple(dist.shape)}"
        )
    return torch.cat([accdoa.float(), dist.float().unsqueeze(-2)], dim=-2)


class ADPITLoss:
    """The official ADPIT loss (MSELoss_ADPIT) on ``{"accdoa", "dist"}`` outputs and ``{"adpit"}`` targets.

    With ``t_s = activity_s * (x, y, z, distance)_s`` for the 6 slots, each of the 13 candidates
    (:data:`CANDIDATES`) is a triple of slot targets for tracks 0, 1, 2, padded with the first triples of
    the other two groups (A += B0B0B1 + C0C1C2, B += A0A0A0 + C0C1C2, C += A0A0A0 + B0B0B1): a class holds
    one group at a time, and the padding turns the other groups' candidates into that group's first triple
    instead of all-zero targets. Per (batch, frame, class) the candidate
    with the lowest mean squared error over the 12 track x value entries is kept (first one on ties, as
    ``torch.min``); the official loss is the mean of those minima.

    Returned as two terms whose plain sum is the official loss, taken at that same choice of candidate:
    ``l_sed`` = (sum of the 9 direction errors: x, y, z of the 3 tracks) / 12 and ``l_doa`` = (sum of the 3
    distance errors) / 12, each averaged over (batch, frame, class). So ``l_sed`` is 3/4 of the direction
    MSE (the activity is the vector norm, so it carries detection and direction) and ``l_doa`` 1/4 of the
    distance MSE; fixed weights (1, 1) train the official objective.
    """

    def __call__(self, outputs: Outputs, targets: Outputs) -> Outputs:
        out = stack_outputs(outputs)  # (B, T, 3, 4, C)
        target = targets["adpit"].to(out.dtype)  # (B, T, 6, 5, C)
        b, t, _, _, c = out.shape
        if target.shape != (b, t, ADPIT_SLOTS, 1 + N_VALUES, c):
            raise ValueError(f"ADPIT targets {tuple(target.shape)} do not fit outputs {tuple(out.shape)}")
        slots = target[:, :, :, :1] * target[:, :, :, 1:]  # (B, T, 6, 4, C): activity * (x, y, z, distance)
        cands = _CANDIDATES.to(slots.device)
        a3, b3, c3 = slots[:, :, cands[0]], slots[:, :, cands[1]], slots[:, :, cands[7]]  # A0A0A0, B0B0B1, C0C1C2
        pad = torch.stack([b3 + c3, a3 + c3, a3 + b3], dim=2)[:, :, _GROUP.to(slots.device)]  # (B, T, 13, 3, 4, C)
        candidates = slots[:, :, cands] + pad
        sq = (out.unsqueeze(2) - candidates).square()  # (B, T, 13, 3, 4, C)
        per_candidate = sq.flatten(3, 4).mean(dim=3)  # (B, T, 13, C), the official per-candidate MSE
        best = per_candidate.argmin(dim=2)  # (B, T, C)
        index = best[:, :, None, None, None, :].expand(-1, -1, 1, N_TRACKS, N_VALUES, -1)
        chosen = sq.gather(2, index).squeeze(2)  # (B, T, 3, 4, C)
        entries = N_TRACKS * N_VALUES
        l_sed = chosen[:, :, :, :3].sum(dim=(2, 3)).mean() / entries
        l_doa = chosen[:, :, :, 3].sum(dim=2).mean() / entries
        return {"l_sed": l_sed, "l_doa": l_doa}


def decode_multi_accdoa(
    accdoa: np.ndarray, dist: np.ndarray, threshold: float | np.ndarray = 0.5, unify_deg: float = UNIFY_DEGREES
) -> np.ndarray:
    """One clip's outputs ``accdoa`` (T, 3, 3, C) and ``dist`` (T, 3, C) -> rows (K, 5) ``frame, class, x, y, z``.

    The official inference: distances below 0 become 0; a track is active where its vector norm exceeds
    ``threshold`` (0.5 officially; or one value per class, shape (C,)). Two tracks of a class are similar when both
    are active and their
    directions are less than ``unify_deg`` apart. With no similar pair the active tracks are emitted in
    order 0, 1, 2; with one similar pair, the third track (if active) and then the mean of the pair; with
    two or three, the mean of all three (means of the unnormalised vectors and of the distances). Each
    emitted (vector, distance) becomes the position ``vector / |vector| * distance`` in metres. Rows are
    ordered by frame, class and emission.
    """
    vec = np.asarray(accdoa, dtype=np.float64)
    d = np.asarray(dist, dtype=np.float64)
    if vec.ndim != 4 or vec.shape[1:3] != (N_TRACKS, 3) or d.shape != (vec.shape[0], N_TRACKS, vec.shape[3]):
        raise ValueError(f"expected accdoa (T, 3, 3, C) and dist (T, 3, C), got {vec.shape} and {d.shape}")
    d = np.where(d < 0, 0.0, d)
    vec = vec.transpose(0, 3, 1, 2)  # (T, C, track, 3)
    values = np.concatenate([vec, d.transpose(0, 2, 1)[..., None]], axis=-1)  # (T, C, track, 4)
    thr = np.asarray(threshold, dtype=np.float64)
    active = np.sqrt((vec**2).sum(-1)) > (thr[:, None] if thr.ndim else thr)  # (T, C, track)
    unit = vec / np.sqrt((vec**2).sum(-1, keepdims=True) + 1e-10)  # the official angle's normalisation

    def similar(i: int, j: int) -> np.ndarray:
        cos = np.clip((unit[..., i, :] * unit[..., j, :]).sum(-1), -1.0, 1.0)
        return active[..., i] & active[..., j] & (np.degrees(np.arccos(cos)) < unify_deg)

    s01, s12, s20 = similar(0, 1), similar(1, 2), similar(2, 0)
    n_similar = s01.astype(int) + s12 + s20
    v0, v1, v2 = values[..., 0, :], values[..., 1, :], values[..., 2, :]
    # one similar pair: the other track first (if active), then the pair's mean
    single = np.where(s01[..., None], v2, np.where(s12[..., None], v0, v1))
    single_active = np.where(s01, active[..., 2], np.where(s12, active[..., 0], active[..., 1]))
    pair = np.where(s01[..., None], (v0 + v1) / 2, np.where(s12[..., None], (v1 + v2) / 2, (v2 + v0) / 2))
    emitted = values.copy()  # (T, C, emission, 4): no similar pair -> the tracks themselves
    valid = active.copy()
    one, many = n_similar == 1, n_similar >= 2
    emitted[one, 0], emitted[one, 1] = single[one], pair[one]
    valid[one] = False
    valid[one, 0], valid[one, 1] = single_active[one], True
    emitted[many, 0] = (v0[many] + v1[many] + v2[many]) / 3
    valid[many] = False
    valid[many, 0] = True
    frames, classes, e = np.nonzero(valid)  # C order: frame, class, emission
    sel = emitted[frames, classes, e]  # (K, 4)
    norm = np.linalg.norm(sel[:, :3], axis=-1, keepdims=True)
    direction = np.divide(sel[:, :3], norm, out=np.zeros_like(sel[:, :3]), where=norm > 0)
    rows = np.empty((len(frames), 5), dtype=np.float64)
    rows[:, 0], rows[:, 1], rows[:, 2:] = frames, classes, direction * sel[:, 3:4]
    return rows


class MultiAccdoaFormat(OutputFormat):
    """3 tracks x classes x (x, y, z, distance), ADPIT loss, official decoding with 15-degree unification.

    Targets ``{"adpit": (T, 6, 5, C)}``; outputs and posteriors ``{"accdoa": (..., 3, 3, C), "dist": (..., 3, C)}``.
    The decoding ``threshold`` is the activity threshold on the vector norm (officially 0.5).
    """

    name = "multi_accdoa"

    def __init__(self, unify_deg: float = UNIFY_DEGREES) -> None:
        self.unify_deg = float(unify_deg)

    def targets(self, active: np.ndarray, xyz: np.ndarray, path: str | Path | None = None) -> Outputs:
        return {"adpit": torch.from_numpy(adpit_targets(active, xyz, path=path))}

    def criterion(self, doa_mask: bool = True) -> Criterion:
        """The ADPIT loss; ``doa_mask`` has no effect (inactive slots already have zero targets)."""
        return ADPITLoss()

    def posteriors(self, raw: Outputs) -> Outputs:
        """Float32 copies of ``accdoa`` and ``dist``: the activity is the vector norm, so nothing is squashed."""
        return {k: raw[k].to(torch.float32, copy=True) for k in ("accdoa", "dist")}

    def decode(self, post: Outputs, threshold: float | np.ndarray) -> np.ndarray:
        return decode_multi_accdoa(
            post["accdoa"].float().cpu().numpy(), post["dist"].float().cpu().numpy(), threshold, self.unify_deg
        )

    def transform_targets(self, targets: Outputs, matrices: torch.Tensor) -> Outputs:
        adpit = targets["adpit"]  # (B, T, 6, 5, C): rows 1-3 the unit direction, 4 the distance (unchanged)
        unit = adpit[..., 1:4, :].movedim(-1, -2)  # (B, T, 6, C, 3)
        out = adpit.clone()
        out[..., 1:4, :] = transform_points(unit, matrices).movedim(-1, -2)
        return {**targets, "adpit": out}

    def align(self, reference: Outputs, candidate: Outputs) -> Outputs:
        """Identity: class-wise ADPIT tracks are not interchangeable labels (see the module docstring)."""
        return candidate
