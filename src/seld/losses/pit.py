"""Frame-level permutation-invariant training loss for 3-track outputs (paper eq. 5-7).

For every frame the 3! = 6 orderings of the target tracks are scored at once (the permuted targets
are stacked on a leading axis) and the ordering with the smallest ``l_SED + l_DOA`` is kept.

* ``l_SED`` of a frame: binary cross-entropy with logits, averaged over tracks and classes (eq. 6).
* ``l_DOA`` of a frame: squared error averaged over tracks and coordinates (eq. 7). With ``doa_mask``
  (default, as EINV2) the errors of target tracks without an active event are zeroed but the mean still
  divides by all 3 x 3 track-coordinates, so a frame's DOA loss scales with how many tracks are active and
  silent tracks neither pull the DOA output nor change the normalisation from batch to batch.
* The chosen ordering is part of the frame's loss (the unweighted sum), independent of the
  lambda/tau weighting applied later.
"""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F

PERMUTATIONS: tuple[tuple[int, ...], ...] = tuple(itertools.permutations(range(3)))
"""Permutation k assigns target track ``PERMUTATIONS[k][q]`` to predicted track q."""


def _permuted(x: torch.Tensor, perms: list[tuple[int, ...]]) -> torch.Tensor:
    """Stack the track permutations of ``x`` (B, T, Q, D) -> (B, T, P, Q, D).

    Built from views (no index tensor), so no host-to-device copy happens inside the training step.
    """
    tracks = x.unbind(dim=2)
    return torch.stack([torch.stack([tracks[i] for i in p], dim=2) for p in perms], dim=2)


def pit_loss(
    sed_logits: torch.Tensor,
    doa: torch.Tensor,
    sed_target: torch.Tensor,
    doa_target: torch.Tensor,
    doa_mask: bool = True,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """PIT losses of track outputs.

    Args: ``sed_logits`` (B, T, Q, E), ``doa`` (B, T, Q, 3) metres, ``sed_target`` (B, T, Q, E) in
    {0, 1}, ``doa_target`` (B, T, Q, 3) metres.
    Returns ``(l_sed, l_doa, perm)``: scalar means over batch and frames of the per-frame losses of the
    best permutation, and its index (B, T) into :data:`PERMUTATIONS`.
    """
    n_tracks = sed_logits.shape[-2]
    perms = list(itertools.permutations(range(n_tracks)))
    sed_t = _permuted(sed_target, perms)  # (B, T, P, Q, E)
    doa_t = _permuted(doa_target, perms)  # (B, T, P, Q, 3)
    logits = sed_logits.float().unsqueeze(2).expand_as(sed_t)
    l_sed = F.binary_cross_entropy_with_logits(logits, sed_t.float(), reduction="none").mean(dim=(-2, -1))
    err = (doa.float().unsqueeze(2) - doa_t.float()).square()  # (B, T, P, Q, 3)
    if doa_mask:
        active = (sed_t.amax(dim=-1, keepdim=True) > 0.5).to(err.dtype)
        err = err * active
    l_doa = err.mean(dim=(-2, -1))  # (B, T, P)
    perm = torch.argmin(l_sed + l_doa, dim=-1)  # (B, T)
    chosen = perm.unsqueeze(-1)
    l_sed = torch.gather(l_sed, -1, chosen).mean()
    l_doa = torch.gather(l_doa, -1, chosen).mean()
    return l_sed, l_doa, perm


class PITLoss:
    """Loss of the ``tracks`` output format (seld.formats.tracks): ``(outputs, targets) -> {l_sed, l_doa, perm}``."""

    def __init__(self, doa_mask: bool = True) -> None:
        self.doa_mask = doa_mask

    def __call__(self, outputs: dict[str, torch.Tensor], targets: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        l_sed, l_doa, perm = pit_loss(outputs["sed"], outputs["doa"], targets["sed"], targets["doa"], self.doa_mask)
        return {"l_sed": l_sed, "l_doa": l_doa, "perm": perm}
