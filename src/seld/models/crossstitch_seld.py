"""The paper's network: two cross-stitched CNN branches (SED, DOA) with ROAM blocks, a temporal module
per branch and 3-track heads (section 3.1, Fig. 2).

Layout inside: (B, C, T, F). Pools are given as (frequency, time) and applied with ``AvgPool2d`` of
kernel (time, frequency). The default (4,2),(4,2),(4,2),(2,1) maps 128 mel bins to 1 and divides time
by 8, so the network runs at the 100 ms label rate (``N // hop // 8`` frames).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from ..constants import COORD_SCALE, N_TRACKS, NUM_CLASSES
from ..features import FeatureNormalizer, LogMelIV
from .base import SELDModel
from .blocks import ConvBlock
from .cross_stitch import CrossStitch
from .temporal import build_temporal


class CrossStitchSELD(SELDModel):
    """Waveforms (B, 4*mics, N) -> ``sed`` (B, T, 3, C) logits, ``doa`` (B, T, 3, 3) metres (``head="tracks"``,
    the paper's 3-track output), or ``accdoa`` (B, T, 3, 3, C) activity-coupled direction vectors and
    ``dist`` (B, T, 3, C) metres (``head="multi_accdoa"``, the DCASE output, both branches feeding it).

    * SED branch input: the 4*mics log-mel channels (``sed_input="logmel"``, as EINV2: the intensity
      vectors carry direction, not class) or all 7*mics channels (``"all"``); DOA sees all channels.
    * After each conv block: pooling, then a cross-stitch unit (eq. 3).
    * Frequency is collapsed by the mean (with the default pools only one bin is left anyway).
    * DOA head: ``tanh(Linear) * COORD_SCALE`` (2.0, the official /2 convention), so one output
      range [-2, 2] m covers all three coordinate ranges (x +-2, y +-1.5, z +-1); no per-axis scale.
    """

    uses_feature_stats = True
    HEADS = ("tracks", "multi_accdoa")

    def __init__(
        self,
        mics: int = 1,
        channels: Sequence[int] = (64, 128, 256, 512),
        pools: Sequence[Sequence[int]] = ((4, 2), (4, 2), (4, 2), (2, 1)),
        attention: str = "roam",
        temporal: str = "transformer",
        temporal_layers: int = 2,
        temporal_heads: int = 8,
        temporal_ff: int = 1024,
        dropout: float = 0.1,
        sed_input: str = "logmel",
        cross_stitch_init: Sequence[float] = (0.9, 0.1),
        frontend: LogMelIV | None = None,
        num_classes: int = NUM_CLASSES,
        coord_scale: float = COORD_SCALE,
        head: str = "tracks",
    ) -> None:
        """The defaults are the paper's network; ``frontend`` defaults to :class:`LogMelIV` for ``mics``;
        ``coord_scale`` is the range (metres) of the tanh position output of the ``tracks`` head."""
        super().__init__()
        if sed_input not in ("logmel", "all"):
            raise ValueError(f"sed_input must be 'logmel' or 'all', got {sed_input!r}")
        if head not in self.HEADS:
            raise ValueError(f"head must be one of {self.HEADS}, got {head!r}")
        self.head = head
        self.output_format = head  # the name of the output format (seld.formats) of this head
        self.num_classes = int(num_classes)
        self.frontend = frontend if frontend is not None else LogMelIV(mics)
        if self.frontend.in_channels != 4 * mics:
            raise ValueError(f"the front end takes {self.frontend.in_channels} channels, {mics} mic(s) give {4 * mics}")
        self.normalizer = FeatureNormalizer(self.frontend.out_channels, self.frontend.n_mels)
        self.sed_input = sed_input
        self.sed_in_channels = self.frontend.logmel_channels if sed_input == "logmel" else self.frontend.out_channels
        channels = list(channels)
        pools = [(int(p[0]), int(p[1])) for p in pools]
        init: Sequence[float] = tuple(cross_stitch_init)
        self.time_pool = math.prod(p[1] for p in pools)

        self.sed_blocks = nn.ModuleList()
        self.doa_blocks = nn.ModuleList()
        self.pools = nn.ModuleList()
        self.stitches = nn.ModuleList()
        c_sed, c_doa = self.sed_in_channels, self.frontend.out_channels
        for c, (pf, pt) in zip(channels, pools, strict=True):
            self.sed_blocks.append(ConvBlock(c_sed, c, attention))
            self.doa_blocks.append(ConvBlock(c_doa, c, attention))
            self.pools.append(nn.AvgPool2d(kernel_size=(pt, pf)) if (pt, pf) != (1, 1) else nn.Identity())
            self.stitches.append(CrossStitch(c, init, dim=1))
            c_sed = c_doa = c
        d = channels[-1]
        self.temporal = build_temporal(temporal, d, temporal_layers, temporal_heads, temporal_ff, dropout, init)
        if head == "tracks":
            self.sed_head = nn.Linear(d, N_TRACKS * self.num_classes)
            self.doa_head = nn.Linear(d, N_TRACKS * 3)
        else:  # one vector (x, y, z, distance) per track and class, from both branches
            self.accdoa_head = nn.Linear(2 * d, N_TRACKS * 4 * self.num_classes)
        self.coord_scale = float(coord_scale)

    def set_feature_stats(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        """Install the training-set per-channel, per-mel-bin mean/std of the frontend output."""
        self.normalizer.set_stats(mean, std)

    def features(self, wave: torch.Tensor) -> torch.Tensor:
        """Normalised log-mel + IV features (B, 7*mics, T_stft, n_mels)."""
        return self.normalizer(self.frontend(wave))

    def forward(self, wave: torch.Tensor) -> dict[str, torch.Tensor]:
        x = self.features(wave)
        sed = x[:, : self.sed_in_channels] if self.sed_in_channels != x.shape[1] else x
        doa = x
        for block_s, block_d, pool, stitch in zip(
            self.sed_blocks, self.doa_blocks, self.pools, self.stitches, strict=True
        ):
            sed, doa = stitch(pool(block_s(sed)), pool(block_d(doa)))
        # (B, C, T, F) -> (B, T, C)
        sed = sed.mean(dim=3).transpose(1, 2)
        doa = doa.mean(dim=3).transpose(1, 2)
        sed, doa = self.temporal(sed, doa)
        b, t = sed.shape[0], sed.shape[1]
        if self.head == "multi_accdoa":
            out = self.accdoa_head(torch.cat([sed, doa], dim=-1)).reshape(b, t, N_TRACKS, 4, self.num_classes)
            return {"accdoa": torch.tanh(out[:, :, :, :3]), "dist": out[:, :, :, 3]}
        sed_logits = self.sed_head(sed).reshape(b, t, N_TRACKS, self.num_classes)
        doa_xyz = torch.tanh(self.doa_head(doa)).reshape(b, t, N_TRACKS, 3) * self.coord_scale
        return {"sed": sed_logits, "doa": doa_xyz}
