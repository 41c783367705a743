"""SELDnet baseline loss as in the official L3DAS22 code: BCE on the 42 slot activities + MSE on the
126 coordinates (/2 units, all slots, active or not).

The official total is ``BCE + 5 * MSE``; the factor belongs to the loss weighting (fixed lambda=1,
tau=5), so this criterion returns the two terms separately. The model returns logits, so BCE uses
``binary_cross_entropy_with_logits`` (the same value as BCE on the official sigmoid output).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


class SELDnetLoss:
    """Loss of the ``slots`` output format (seld.formats.slots): ``(outputs, targets) -> {l_sed, l_doa}``."""

    def __call__(self, outputs: dict[str, torch.Tensor], targets: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        l_sed = F.binary_cross_entropy_with_logits(outputs["sed"].float(), targets["sed"].float())
        l_doa = F.mse_loss(outputs["doa"].float(), targets["doa"].float())
        return {"l_sed": l_sed, "l_doa": l_doa}
