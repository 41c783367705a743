"""Convolution blocks of the paper (section 3.1, Fig. 3) and the attention variants of its Table 1.

All blocks take and return feature maps laid out (B, C, T, F). ``ConvBlock(c_in, c_out, attention)``
is the single interface the networks use; ``attention`` picks the variant:

* ``none``: conv-BN-ReLU x2 (the plain block).
* ``mfm``: conv(C_in -> 2C)+BN -> MFM -> conv(C -> 2C)+BN -> MFM (ROAM without CTAM).
* ``ctam``: conv-BN-ReLU x2 followed by CTAM.
* ``attentive_mfm``: as ``mfm`` with each MFM replaced by :class:`AttentiveMFM`.
* ``roam``: the proposed ROAM, conv+BN -> MFM -> conv+BN -> MFM -> CTAM (eq. 1, 2).
"""

from __future__ import annotations

import torch
from torch import nn

ATTENTIONS: tuple[str, ...] = ("none", "mfm", "ctam", "attentive_mfm", "roam")


class MFM(nn.Module):
    """Max feature map (eq. 1): element-wise max of the two channel halves, 2C -> C.

    It acts as a learned feature selector (noisy vs. informative maps compete) without parameters.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g, h = x.chunk(2, dim=1)
        return torch.maximum(g, h)


class AttentiveMFM(nn.Module):
    """Attentive max feature map: MFM whose output is re-weighted by a learned channel gate.

    Our reading of Kim et al.'s attentive MFM (the text gives no equations): the gate looks at *both*
    halves that compete in the MFM (global average pooling of the 2C input channels), passes them
    through a squeeze-and-excitation bottleneck (2C -> 2C/r -> C) and a sigmoid, and scales the
    max-selected maps per channel: ``y = max(g, h) * sigmoid(W2 relu(W1 gap([g; h])))``. This keeps
    MFM's competitive selection and adds attention over what was discarded, at the cost of extra
    parameters (the paper notes attentive MFM has a higher parameter count than ROAM).
    """

    def __init__(self, channels: int, reduction: int = 4) -> None:
        super().__init__()
        hidden = max(4, (2 * channels) // reduction)
        self.fc1 = nn.Conv2d(2 * channels, hidden, kernel_size=1)
        self.fc2 = nn.Conv2d(hidden, channels, kernel_size=1)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g, h = x.chunk(2, dim=1)
        squeezed = x.mean(dim=(2, 3), keepdim=True)
        gate = torch.sigmoid(self.fc2(self.act(self.fc1(squeezed))))
        return torch.maximum(g, h) * gate


class ZPool(nn.Module):
    """Concatenate max and mean over dim 1: (B, D1, D2, D3) -> (B, 2, D2, D3)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x.amax(dim=1, keepdim=True), x.mean(dim=1, keepdim=True)], dim=1)


class AttentionGate(nn.Module):
    """One triplet-attention branch: Z-pool -> 7x7 conv + BN -> sigmoid -> multiply."""

    def __init__(self, kernel_size: int = 7) -> None:
        super().__init__()
        self.pool = ZPool()
        self.conv = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2, bias=False)
        self.bn = nn.BatchNorm2d(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(self.bn(self.conv(self.pool(x))))


class CTAM(nn.Module):
    """Convolutional triplet attention (eq. 2): cross-dimension attention from three rotations.

    Branch 1 pools over channels (attention over T x F), branch 2 rotates to (T, C, F) and pools over
    time (attention over C x F), branch 3 rotates to (F, T, C) and pools over frequency (attention over
    T x C); each result is rotated back and the three are averaged.
    """

    def __init__(self, kernel_size: int = 7) -> None:
        super().__init__()
        self.ctf = AttentionGate(kernel_size)
        self.tcf = AttentionGate(kernel_size)
        self.ftc = AttentionGate(kernel_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y1 = self.ctf(x)
        y2 = self.tcf(x.permute(0, 2, 1, 3)).permute(0, 2, 1, 3)
        y3 = self.ftc(x.permute(0, 3, 2, 1)).permute(0, 3, 2, 1)
        return (y1 + y2 + y3) * (1.0 / 3.0)


def conv_bn(c_in: int, c_out: int) -> nn.Sequential:
    """3x3 convolution (stride 1, padding 1, no bias: BN follows) + batch norm."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, kernel_size=3, stride=1, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
    )


class ROAM(nn.Module):
    """Rotating max attention module: conv+BN -> MFM -> conv+BN -> MFM -> CTAM."""

    def __init__(self, c_in: int, c_out: int, use_ctam: bool = True, attentive: bool = False) -> None:
        super().__init__()
        self.conv1 = conv_bn(c_in, 2 * c_out)
        self.mfm1: nn.Module = AttentiveMFM(c_out) if attentive else MFM()
        self.conv2 = conv_bn(c_out, 2 * c_out)
        self.mfm2: nn.Module = AttentiveMFM(c_out) if attentive else MFM()
        self.ctam: nn.Module = CTAM() if use_ctam else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.mfm1(self.conv1(x))
        x = self.mfm2(self.conv2(x))
        return self.ctam(x)


class PlainBlock(nn.Module):
    """conv-BN-ReLU x2, optionally followed by CTAM."""

    def __init__(self, c_in: int, c_out: int, use_ctam: bool = False) -> None:
        super().__init__()
        self.conv1 = conv_bn(c_in, c_out)
        self.conv2 = conv_bn(c_out, c_out)
        self.act = nn.ReLU(inplace=True)
        self.ctam: nn.Module = CTAM() if use_ctam else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.conv1(x))
        x = self.act(self.conv2(x))
        return self.ctam(x)


class ConvBlock(nn.Module):
    """One convolution block of a branch, with the attention variant chosen by name."""

    def __init__(self, c_in: int, c_out: int, attention: str = "roam") -> None:
        super().__init__()
        if attention not in ATTENTIONS:
            raise ValueError(f"unknown attention {attention!r}; choose one of {', '.join(ATTENTIONS)}")
        self.attention = attention
        if attention == "none":
            self.body: nn.Module = PlainBlock(c_in, c_out)
        elif attention == "ctam":
            self.body = PlainBlock(c_in, c_out, use_ctam=True)
        elif attention == "mfm":
            self.body = ROAM(c_in, c_out, use_ctam=False)
        elif attention == "attentive_mfm":
            self.body = ROAM(c_in, c_out, use_ctam=False, attentive=True)
        else:
            self.body = ROAM(c_in, c_out, use_ctam=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)
