"""SELDnet baseline as the L3DAS22 organisers built it ("Seldnet_augmented"), reimplemented in torch.

Frontend: STFT magnitudes (nperseg 512, hop 400, Hamming, zero padding of 256 at both ends as scipy's
``boundary="zeros"``, scaled by 1/sum(window) like ``scipy.signal.stft``), DC bin dropped (256 bins)
and the last frame dropped (``N // hop`` frames). No feature normalisation (the official model has none).
Network: 4 x [Conv3x3 -> BN -> ReLU -> MaxPool -> Dropout 0.3] with 64/128/256/512 filters and
(freq, time) pools (8,2),(8,2),(2,2),(1,1); the remaining (channels x freq) are flattened per frame
(channel-major like the official ``permute(0,3,1,2).reshape``) into a 3-layer BiGRU; two heads of
three FC layers + output: SED 42 logits (index class*3 + slot), DOA 126 tanh outputs in official /2
units (index (class*3 + slot)*3 + xyz). Logits (not sigmoid) are returned so the loss can use the
numerically safer BCE-with-logits; sigmoid(logits) equals the official output.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from ..constants import FOA_CHANNELS, MAX_SLOTS, NUM_CLASSES
from .base import SELDModel

SELDNET_POOLS: tuple[tuple[int, int], ...] = ((8, 2), (8, 2), (2, 2), (1, 1))
SELDNET_DROPOUT = 0.3
SELDNET_RNN_LAYERS = 3


class StftMagnitude(nn.Module):
    """Waveforms (B, C, N) -> STFT magnitudes (B, C, N // hop, n_fft // 2) without the DC bin."""

    def __init__(self, channels: int, n_fft: int = 512, hop: int = 400) -> None:
        super().__init__()
        self.n_fft = n_fft
        self.hop = hop
        self.in_channels = channels
        self.out_channels = channels
        self.n_bins = n_fft // 2
        window = torch.hamming_window(n_fft, periodic=True, dtype=torch.float32)
        self.register_buffer("window", window, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, n = x.shape
        spec = torch.stft(
            x.reshape(b * c, n),
            n_fft=self.n_fft,
            hop_length=self.hop,
            window=self.window.to(x.dtype),
            center=True,
            pad_mode="constant",
            return_complex=True,
        )  # (B*C, n_fft//2 + 1, N // hop + 1)
        mag = spec.abs()[:, 1:, :-1] / self.window.sum().to(x.dtype)
        return mag.reshape(b, c, self.n_bins, -1).transpose(2, 3)  # (B, C, T, F)


def _fc_head(d_in: int, width: int, d_out: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(d_in, width),
        nn.ReLU(inplace=True),
        nn.Linear(width, width),
        nn.ReLU(inplace=True),
        nn.Linear(width, width),
        nn.ReLU(inplace=True),
        nn.Dropout(dropout),
        nn.Linear(width, d_out),
    )


class SELDnet(SELDModel):
    """Waveforms (B, 4*mics, N) -> ``sed`` (B, T, 42) logits, ``doa`` (B, T, 126) in /2 units."""

    output_format = "slots"
    uses_feature_stats = False
    """The official baseline has no feature normalisation: statistics need not be computed."""

    def __init__(
        self,
        mics: int = 1,
        hop: int = 400,
        channels: Sequence[int] = (64, 128, 256, 512),
        rnn_size: int = 256,
        fc_size: int = 1024,
    ) -> None:
        """The defaults are the organisers' model; ``channels`` narrower for the CPU demo."""
        super().__init__()
        n_audio = FOA_CHANNELS * mics
        self.frontend = StftMagnitude(n_audio, n_fft=512, hop=hop)
        layers: list[nn.Module] = []
        c_in, n_freq = n_audio, self.frontend.n_bins
        if len(channels) != len(SELDNET_POOLS):
            raise ValueError(f"SELDnet has {len(SELDNET_POOLS)} conv blocks; got {len(channels)} channel counts")
        for c, (pf, pt) in zip(channels, SELDNET_POOLS, strict=True):
            layers.append(
                nn.Sequential(
                    nn.Conv2d(c_in, c, kernel_size=3, stride=1, padding=1),
                    nn.BatchNorm2d(c),
                    nn.ReLU(inplace=True),
                    nn.MaxPool2d((pt, pf)) if (pt, pf) != (1, 1) else nn.Identity(),
                    nn.Dropout(SELDNET_DROPOUT),
                )
            )
            c_in, n_freq = c, n_freq // pf
        self.cnn = nn.Sequential(*layers)
        self.time_pool = math.prod(p[1] for p in SELDNET_POOLS)
        self.rnn = nn.GRU(
            c_in * n_freq,
            rnn_size,
            num_layers=SELDNET_RNN_LAYERS,
            batch_first=True,
            bidirectional=True,
            dropout=SELDNET_DROPOUT,
        )
        n_out = NUM_CLASSES * MAX_SLOTS
        self.sed = _fc_head(2 * rnn_size, fc_size, n_out, SELDNET_DROPOUT)
        self.doa = _fc_head(2 * rnn_size, fc_size, 3 * n_out, SELDNET_DROPOUT)

    def forward(self, wave: torch.Tensor) -> dict[str, torch.Tensor]:
        x = self.cnn(self.frontend(wave))  # (B, C, T, F)
        b, _, t, _ = x.shape
        x = x.permute(0, 2, 1, 3).reshape(b, t, -1)  # channel-major per frame, as the official code
        x, _ = self.rnn(x)
        return {"sed": self.sed(x), "doa": torch.tanh(self.doa(x))}
