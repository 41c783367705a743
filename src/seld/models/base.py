"""What every SELD network states about itself, so that training and inference need not probe it."""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn


class SELDModel(nn.Module):
    """A network ``waveforms (B, 4 * mics, N) -> {"sed": ..., "doa": ...}``.

    * ``output_format``: the name of the output format (:mod:`seld.formats`) that builds its targets,
      loss, decoding and ensembling;
    * ``frontend``: the feature module (``in_channels`` = audio channels it takes);
    * ``uses_feature_stats``: whether :meth:`set_feature_stats` needs training-set statistics of the
      front end's output (computed by the trainer before fitting).
    """

    output_format: str  # a class attribute, or set per instance when the head is chosen at construction
    uses_feature_stats: ClassVar[bool] = False
    frontend: nn.Module

    @property
    def in_channels(self) -> int:
        """Audio channels the model takes (4 per microphone)."""
        return int(self.frontend.in_channels)

    def set_feature_stats(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        """Install per-channel, per-mel-bin feature statistics; models without normalisation ignore them."""
