"""Feature extraction: seld's batched torch front ends vs the official baseline's per-file scipy STFT.

The L3DAS22 baseline (``utility_functions.spectrum_fast``, called file by file by its preprocessing
script) computes ``scipy.signal.stft(x, window="hamming", nperseg=512, noverlap=112)`` of each 4-channel
file, takes the magnitude, drops the DC bin and the last frame. It is re-implemented here as such a loop
over files (numpy in, float32 magnitudes out). seld computes its features in torch on whole batches:

* ``LogMelIV`` (the paper model's 4 log-mels + 3 intensity vectors, n_fft 1024): the target row;
* ``StftMagnitude`` (SELDnet's front end, the *same* features as the baseline): checked equal to it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .common import Row, measure, row

SAMPLE_RATE = 32_000


def baseline_features(clips: list[np.ndarray]) -> list[np.ndarray]:
    """The official per-file loop: scipy STFT magnitudes (4, 256, N // 400) of each clip."""
    from scipy.signal import stft

    out = []
    for x in clips:
        _, _, spec = stft(x, window="hamming", nperseg=512, noverlap=112)
        mag = np.abs(spec)[:, 1:, :-1]  # cut DC and the last frame
        out.append(mag.astype(np.float32))
    return out


def make_clips(n_clips: int, seconds: float, seed: int = 0) -> list[np.ndarray]:
    """Random 4-channel FOA-like clips (float32): W plus three correlated directional channels."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SAMPLE_RATE)
    clips = []
    for _ in range(n_clips):
        w = rng.standard_normal(n).astype(np.float32)
        gains = rng.uniform(-1, 1, size=(3, 1)).astype(np.float32)
        xyz = gains * w[None] + 0.3 * rng.standard_normal((3, n)).astype(np.float32)
        clips.append(np.concatenate([w[None], xyz]).astype(np.float32))
    return clips


def _batched(module: torch.nn.Module, waves: torch.Tensor, batch: int) -> None:
    with torch.inference_mode():
        for i in range(0, waves.shape[0], batch):
            module(waves[i : i + batch])


def run(quick: bool, gpu: bool, repeats: int) -> dict[str, Any]:
    from seld.features import LogMelIV
    from seld.models.seldnet import StftMagnitude

    n_clips, seconds = (3, 4.0) if quick else (16, 30.0)
    batch = 1  # on the CPU one clip at a time (4 channels batched) beats larger batches: cache-bound
    clips = make_clips(n_clips, seconds)
    audio_s = n_clips * seconds
    waves = torch.from_numpy(np.stack(clips))
    logmel = LogMelIV(mics=1).eval()
    magnitude = StftMagnitude(4, n_fft=512, hop=400).eval()

    # Same computation check: seld's magnitude front end against the official one.
    ref = baseline_features(clips[:1])[0]  # (4, 256, T)
    with torch.inference_mode():
        ours = magnitude(waves[:1])[0].transpose(1, 2).numpy()  # (4, 256, T)
    n = min(ref.shape[-1], ours.shape[-1])
    max_diff = float(np.abs(ref[..., :n] - ours[..., :n]).max())
    rel = max_diff / float(np.abs(ref).max())

    base = measure(lambda: baseline_features(clips), repeats)
    t_logmel = measure(lambda: _batched(logmel, waves, batch), repeats)
    t_mag = measure(lambda: _batched(magnitude, waves, batch), repeats)
    base_rate = audio_s / base["median_s"]
    details = {"clips": n_clips, "clip_seconds": seconds, "batch": batch, "torch_threads": torch.get_num_threads()}
    rows: list[Row] = [
        row(
            "features", "LogMelIV (log-mel + IV, n_fft 1024), CPU", "audio-s/s",
            audio_s / t_logmel["median_s"], base_rate,
            seld_label=f"seld LogMelIV, torch, batch {batch}", baseline_label="official: scipy.signal.stft per file",
            target=">= 10x baseline", goal_ratio=10.0,
            details={**details, "seld_times_s": t_logmel["times_s"], "baseline_times_s": base["times_s"]},
        ),
        row(
            "features", "STFT magnitude (same features as baseline), CPU", "audio-s/s",
            audio_s / t_mag["median_s"], base_rate,
            seld_label=f"seld StftMagnitude, torch, batch {batch}",
            baseline_label="official: scipy.signal.stft per file",
            target="info (identical output)",
            details={**details, "max_abs_diff": max_diff, "max_rel_diff": rel, "seld_times_s": t_mag["times_s"]},
        ),
    ]
    notes = [f"seld StftMagnitude vs official scipy STFT: max abs diff {max_diff:.2e} (relative {rel:.1e})"]
    if gpu and torch.cuda.is_available():
        dev = torch.device("cuda")
        g_clips, g_seconds = (n_clips, seconds) if quick else (64, 30.0)
        g_waves = torch.from_numpy(np.stack(make_clips(g_clips, g_seconds, seed=1))).to(dev)
        g_audio = g_clips * g_seconds
        fe = LogMelIV(mics=1).to(dev).eval()
        t_gpu = measure(lambda: _batched(fe, g_waves, 32), repeats * 3, warmup=2, device=dev)
        rows.append(
            row(
                "features", "LogMelIV on GPU (waveforms resident)", "audio-s/s",
                g_audio / t_gpu["median_s"], base_rate,
                seld_label=f"seld LogMelIV, {torch.cuda.get_device_name(0)}, batch 32",
                baseline_label="official: scipy.signal.stft per file (CPU of this machine)",
                target="report", details={"clips": g_clips, "clip_seconds": g_seconds, "times_s": t_gpu["times_s"]},
            )
        )
    elif gpu:
        notes.append("GPU feature figure skipped: CUDA is not available")
    return {"rows": rows, "notes": notes}
