"""Track alignment: tracks of two track-wise outputs are not ordered alike, so align before averaging.

Used for overlap-averaging windows of one clip and for the posterior ensemble of several models
(track-wise ensemble, docs/design.md): per frame, the permutation of the candidate's 3 tracks that best
matches the reference is applied before averaging.
"""

from __future__ import annotations

import itertools

import torch

PERMUTATIONS = torch.tensor(list(itertools.permutations(range(3))), dtype=torch.long)  # (6, 3)


def alignment_cost(ref_sed: torch.Tensor, ref_doa: torch.Tensor, sed: torch.Tensor, doa: torch.Tensor) -> torch.Tensor:
    """Cost (T, 6) of each permutation of the candidate tracks against the reference.

    Class posteriors differ by L1 distance; positions count (in metres) only where both tracks are active.
    ``*_sed`` are probabilities (T, Q, E); ``*_doa`` positions (T, Q, 3).
    """
    perms = PERMUTATIONS.to(sed.device)
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
    perm = PERMUTATIONS.to(sed.device)[best]  # (T, Q)
    idx = torch.arange(sed.shape[0], device=sed.device)[:, None]
    return sed[idx, perm], doa[idx, perm]


def ensemble_tracks(outputs: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Average the posteriors of several models after aligning each to the first one."""
    ref_sed, ref_doa = outputs[0]["sed"], outputs[0]["doa"]
    sed_sum, doa_sum = ref_sed.clone(), ref_doa.clone()
    for out in outputs[1:]:
        sed, doa = align_tracks(ref_sed, ref_doa, out["sed"], out["doa"])
        sed_sum += sed
        doa_sum += doa
    n = len(outputs)
    return {"sed": sed_sum / n, "doa": doa_sum / n}
