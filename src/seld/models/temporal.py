"""Temporal modules applied per branch after frequency is collapsed (not specified by the paper).

Following EINV2 (which the paper builds on), each branch gets its own stack of layers and a
cross-stitch unit mixes the two branches *between* consecutive layers (``layers - 1`` units; with one
layer the branches are not mixed here). Inputs and outputs are (B, T, D) sequences.
No positional encoding is added: the convolutional front end already encodes local time context
and EINV2 trains without one.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .cross_stitch import CrossStitch


class TransformerTemporal(nn.Module):
    """Two parallel stacks of ``nn.TransformerEncoderLayer`` (batch first), cross-stitched between layers."""

    def __init__(
        self,
        d_model: int,
        layers: int = 2,
        heads: int = 8,
        ff: int = 1024,
        dropout: float = 0.1,
        stitch_init: Sequence[float] = (0.9, 0.1),
    ) -> None:
        super().__init__()
        if d_model % heads:
            raise ValueError(f"transformer width {d_model} is not divisible by {heads} heads")

        def layer() -> nn.TransformerEncoderLayer:
            return nn.TransformerEncoderLayer(d_model, heads, ff, dropout, batch_first=True)

        self.sed_layers = nn.ModuleList(layer() for _ in range(layers))
        self.doa_layers = nn.ModuleList(layer() for _ in range(layers))
        self.stitches = nn.ModuleList(CrossStitch(d_model, stitch_init, dim=-1) for _ in range(layers - 1))

    def forward(self, sed: torch.Tensor, doa: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        for i, (ls, ld) in enumerate(zip(self.sed_layers, self.doa_layers, strict=True)):
            sed, doa = ls(sed), ld(doa)
            if i < len(self.stitches):
                sed, doa = self.stitches[i](sed, doa)
        return sed, doa


class BiGRUTemporal(nn.Module):
    """Per-branch bidirectional GRU layers (D/2 units per direction), cross-stitched between layers."""

    def __init__(
        self,
        d_model: int,
        layers: int = 2,
        dropout: float = 0.1,
        stitch_init: Sequence[float] = (0.9, 0.1),
    ) -> None:
        super().__init__()
        if d_model % 2:
            raise ValueError(f"BiGRU width {d_model} must be even")

        def gru() -> nn.GRU:
            return nn.GRU(d_model, d_model // 2, batch_first=True, bidirectional=True)

        self.sed_layers = nn.ModuleList(gru() for _ in range(layers))
        self.doa_layers = nn.ModuleList(gru() for _ in range(layers))
        self.stitches = nn.ModuleList(CrossStitch(d_model, stitch_init, dim=-1) for _ in range(layers - 1))
        self.dropout = nn.Dropout(dropout)

    def forward(self, sed: torch.Tensor, doa: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        for i, (ls, ld) in enumerate(zip(self.sed_layers, self.doa_layers, strict=True)):
            sed, doa = self.dropout(ls(sed)[0]), self.dropout(ld(doa)[0])
            if i < len(self.stitches):
                sed, doa = self.stitches[i](sed, doa)
        return sed, doa


def build_temporal(
    kind: str,
    d_model: int,
    layers: int,
    heads: int,
    ff: int,
    dropout: float,
    stitch_init: Sequence[float],
) -> nn.Module:
    """Build the temporal module named by ``cfg.model.temporal``."""
    if kind == "transformer":
        return TransformerTemporal(d_model, layers, heads, ff, dropout, stitch_init)
    if kind == "bigru":
        return BiGRUTemporal(d_model, layers, dropout, stitch_init)
    raise ValueError(f"unknown temporal module {kind!r}; choose transformer or bigru")
