"""Log-mel + intensity-vector features of FOA audio, computed in torch (CPU or GPU).

Per microphone: 4 log-mel spectrograms (W, Y, Z, X) and 3 intensity-vector channels (x, y, z).

Choices (documented here, see also docs/design.md):

* STFT: Hann window (periodic) of ``n_fft`` samples, hop ``hop``, ``center=True`` with reflect padding;
  the last of the ``N // hop + 1`` frames is dropped so that a clip of N samples gives ``N // hop`` frames
  (8 STFT frames = one 100 ms label frame at 32 kHz, hop 400).
* Log-mel: power spectrum projected with ``librosa.filters.mel`` (Slaney, area-normalised), then
  ``10 * log10(max(x, log_floor))``.
* Intensity vector: ``I_k = Re(conj(W) * C_k)`` for C_k = X, Y, Z, divided per STFT bin by
  ``||(I_x, I_y, I_z)|| + eps`` (a unit vector, or 0 in silence), then projected with the *same* mel filter
  shapes whose rows are normalised to sum to 1: each mel value is a weighted mean of unit vectors and lies
  in [-1, 1] whatever the filter width.
* Input: ACN/SN3D (W, Y, Z, X); the readers convert other conventions (``data.foa_format``, FuMa) first.
* Output channel layout: the log-mels of all microphones first (mic A's W, Y, Z, X, then mic B's), then
  the intensity vectors (mic A's x, y, z, then mic B's).

The module has no data-dependent Python control flow: it can be traced (``torch.jit.trace``), exported
(``torch.export``, and ``torch.onnx.export(dynamo=False)``, which uses the real STFT layout) and compiled.
"""

from __future__ import annotations

import warnings

import librosa
import numpy as np
import torch
from torch import Tensor, nn

from ..constants import FOA_CHANNELS, SAMPLE_RATE

LOGMEL_ORDER = "WYZX"
"""Order of the 4 log-mel channels of each microphone in the output (ACN)."""
IV_ORDER = "XYZ"
"""Order of the 3 intensity-vector channels of each microphone in the output."""


def mel_matrix(sample_rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    """Mel filter bank ``(n_mels, n_fft // 2 + 1)`` (librosa, Slaney normalisation)."""
    return librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax).astype(np.float64)


class LogMelIV(nn.Module):
    """Waveforms ``(B, 4 * mics, N)`` -> features ``(B, 7 * mics, N // hop, n_mels)``.

    The defaults are the paper's front end (32 kHz, 1024-point STFT, hop 400, 128 mel bins up to 16 kHz).
    """

    def __init__(
        self,
        mics: int = 1,
        sample_rate: int = SAMPLE_RATE,
        n_fft: int = 1024,
        hop: int = 400,
        n_mels: int = 128,
        fmin: float = 0.0,
        fmax: float = 16_000.0,
        log_floor: float = 1e-10,
        eps: float = 1e-8,
    ) -> None:
        super().__init__()
        if mics < 1:
            raise ValueError(f"mics must be positive, got {mics}")
        self.mics = mics
        self.sample_rate = sample_rate
        self.n_fft = n_fft
        self.hop = hop
        self.n_mels = n_mels
        self.log_floor = float(log_floor)
        self.eps = float(eps)
        self.in_channels = FOA_CHANNELS * mics
        self.logmel_channels = 4 * mics
        self.iv_channels = 3 * mics
        self.out_channels = 7 * mics
        # The intensity vector is computed for the non-W channels in input order (Y, Z, X), then put in x, y, z order.
        self._iv_perm = ["YZX".index(c) for c in IV_ORDER]

        mel = mel_matrix(sample_rate, n_fft, n_mels, fmin, fmax)  # (n_mels, n_bins)
        mel_iv = mel / np.maximum(mel.sum(axis=1, keepdims=True), 1e-12)
        # Buffers derived from the arguments: not saved in state_dicts, moved by .to(device). Kept in float64
        # (cast to the input dtype in forward, a negligible cost) so that float64 input is exact.
        self.register_buffer("window", torch.hann_window(n_fft, dtype=torch.float64), persistent=False)
        self.register_buffer("mel_fb", torch.from_numpy(mel), persistent=False)
        self.register_buffer("mel_fb_iv", torch.from_numpy(mel_iv), persistent=False)

    def n_frames(self, n_samples: int) -> int:
        """Number of feature frames for ``n_samples`` input samples."""
        return n_samples // self.hop

    def stft(self, x: Tensor) -> Tensor:
        """STFT of ``x`` ``(B, C, N)`` as real pairs ``(B, C, n_bins, N // hop + 1, 2)`` (last frame kept)."""
        b, c, n = x.shape
        flat = x.reshape(b * c, n)
        kwargs = dict(
            n_fft=self.n_fft,
            hop_length=self.hop,
            win_length=self.n_fft,
            window=self.window.to(x.dtype),
            center=True,
            pad_mode="reflect",
        )
        if torch.onnx.is_in_onnx_export():
            # The TorchScript ONNX exporter has no complex tensors: use the (deprecated) real layout.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                spec = torch.stft(flat, return_complex=False, **kwargs)
        else:
            spec = torch.view_as_real(torch.stft(flat, return_complex=True, **kwargs))
        return spec.reshape(b, c, spec.shape[1], spec.shape[2], 2)

    def forward(self, x: Tensor) -> Tensor:
        if not torch.jit.is_tracing() and (x.dim() != 3 or x.shape[1] != self.in_channels):
            raise ValueError(f"expected (B, {self.in_channels}, N) waveforms, got {tuple(x.shape)}")
        if x.dtype in (torch.float16, torch.bfloat16):
            x = x.float()
        # Power spectra overflow float16 and lose too much in bfloat16: no autocast inside the front end.
        with torch.autocast(device_type=x.device.type, enabled=False):
            return self._features(x)

    def _features(self, x: Tensor) -> Tensor:
        b = x.shape[0]
        spec = self.stft(x)
        f, t1 = spec.shape[2], spec.shape[3]
        # Work in the STFT's own (bins, frames) layout; the small mel outputs are reordered at the end.
        spec = spec.reshape(b, self.mics, FOA_CHANNELS, f, t1, 2)

        re, im = spec[..., 0], spec[..., 1]
        power = torch.addcmul(re.square(), im, im)  # (B, mics, 4, bins, T+1), channels as in the input
        mel = torch.matmul(self.mel_fb.to(x.dtype), power)  # (B, mics, 4, n_mels, T+1)
        logmel = 10.0 * torch.log10(torch.clamp(mel, min=self.log_floor))  # ACN order W, Y, Z, X

        w_re, w_im = re[:, :, 0:1], im[:, :, 0:1]
        # Re(conj(W) C) for the three non-W channels Y, Z, X: (B, mics, 3, bins, T+1)
        iv = torch.addcmul(w_re * re[:, :, 1:4], w_im, im[:, :, 1:4])
        norm = torch.sqrt(iv.square().sum(dim=2, keepdim=True)) + self.eps
        iv = torch.matmul(self.mel_fb_iv.to(x.dtype), iv / norm)  # (B, mics, 3, n_mels, T+1)
        iv = iv[:, :, self._iv_perm]  # x, y, z

        out = torch.cat(
            (
                logmel.reshape(b, self.logmel_channels, self.n_mels, t1),
                iv.reshape(b, self.iv_channels, self.n_mels, t1),
            ),
            dim=1,
        )
        # Drop the extra centred frame: N // hop frames, time before mel.
        return out[..., :-1].transpose(2, 3).contiguous()

    def extra_repr(self) -> str:
        return (
            f"mics={self.mics}, n_fft={self.n_fft}, hop={self.hop}, n_mels={self.n_mels}, "
            f"out_channels={self.out_channels}"
        )
