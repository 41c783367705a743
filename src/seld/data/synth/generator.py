"""Orchestration: plan the clips, render them (in parallel), write the L3DAS22 layout and manifest.

Every clip is a pure function of (parameters, seed, split, clip index): its random generator comes
from ``numpy.random.SeedSequence(seed, spawn_key=(split, index))``, so the output is byte-identical
whatever the number of worker processes. Each file is written atomically; ``manifest.json`` is
written last, so its presence marks a complete dataset.
"""

from __future__ import annotations

import logging
import os
import shutil
import struct
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ...constants import FOA_CHANNELS, SAMPLE_RATE, SPLIT_DIRS
from ...errors import SeldError
from ...io_utils import atomic_open, atomic_path, write_json_atomic
from ...utils.folder_lock import folder_lock, is_lock_file
from .presets import SynthParams, get_preset
from .rooms import IRBank, load_bank, read_bank
from .scenes import ScheduledEvent, max_overlap, schedule_clip
from .sources import ProceduralBank, RecordingBank, list_bank

log = logging.getLogger(__name__)

TRAIN_SPLITS = (0, 1, 2, 3)
DEV_SPLIT = 4
CSV_HEADER = "File,Start,End,Class,X,Y,Z"
TARGET_RMS = 0.05
"""RMS of mic A's W channel after mixing (about -26 dBFS); lowered where the peak would exceed 0.95."""


@dataclass(frozen=True)
class ClipSpec:
    """Where one clip goes and how its random generator is derived."""

    split_dir: str
    split: int
    ov: int
    number: int
    index: int

    @property
    def name(self) -> str:
        return f"split{self.split}_ov{self.ov}_{self.number}"


def plan_clips(params: SynthParams) -> list[ClipSpec]:
    """Train clips spread evenly over splits 0-3, dev clips in split 4; ov cycles through ``params.ovs``."""
    specs: list[ClipSpec] = []
    for which, count, splits in (
        ("train", params.train_clips, TRAIN_SPLITS),
        ("dev", params.dev_clips, (DEV_SPLIT,)),
    ):
        per_split = [count // len(splits) + (1 if i < count % len(splits) else 0) for i in range(len(splits))]
        for split, n in zip(splits, per_split):
            numbers = dict.fromkeys(params.ovs, 0)
            for k in range(n):
                ov = params.ovs[k % len(params.ovs)]
                numbers[ov] += 1
                specs.append(ClipSpec(SPLIT_DIRS[which], split, ov, numbers[ov], k))
    return specs


# Paul Kellet's "economy" pink filter (-3 dB/oct within ~0.5 dB over the audio band).
_PINK_B = np.array([0.049922035, -0.095993537, 0.050612699, -0.004408786])
_PINK_A = np.array([1.0, -2.494956002, 2.017265875, -0.522189400])


def colored_noise(rng: np.random.Generator, channels: int, n: int, brown: float) -> np.ndarray:
    """Noise per channel, a mix of pink and brown (weight ``brown`` in [0, 1]), unit RMS.

    One channel is IIR-filtered and the others are circular shifts of it by far more than its
    correlation time (pink: the lag-0 overlap is that of independent segments; brown: ~6 ms memory),
    so channels are mutually uncorrelated at 1/channels of the cost.
    """
    from scipy import signal

    white = rng.standard_normal(n)
    pink = signal.lfilter(_PINK_B, _PINK_A, white)
    red = signal.lfilter([1.0], [1.0, -0.995], white)
    pink /= np.sqrt(np.mean(pink**2)) + 1e-12
    red /= np.sqrt(np.mean(red**2)) + 1e-12
    hp = signal.butter(2, 20.0, btype="highpass", fs=SAMPLE_RATE, output="sos")
    x = signal.sosfilt(hp, (1 - brown) * pink + brown * red)
    x = (x / (np.sqrt(np.mean(x**2)) + 1e-12)).astype(np.float32)
    step = n // channels
    out = np.empty((channels, n), dtype=np.float32)
    for k in range(channels):
        shift = k * step + int(rng.integers(0, max(step // 2, 1)))
        out[k, shift:] = x[: n - shift]
        out[k, :shift] = x[n - shift :]
    return out


def render_clip(
    spec: ClipSpec, params: SynthParams, seed: int, bank: IRBank, sounds: Any
) -> tuple[np.ndarray, list[ScheduledEvent], dict[str, float]]:
    """Audio (8, N) float32 (mic A's W,Y,Z,X then mic B's) and the events of one clip."""
    from scipy.signal import oaconvolve

    ss = np.random.SeedSequence(seed, spawn_key=(spec.split, spec.index))
    scene_rng, source_rng, noise_rng = (np.random.default_rng(s) for s in ss.spawn(3))
    events = schedule_clip(scene_rng, params, spec.ov, len(bank.positions))
    n = int(round(params.duration * SAMPLE_RATE))
    mix = np.zeros((2 * FOA_CHANNELS, n), dtype=np.float32)
    for ev in events:
        a = int(round(ev.start * SAMPLE_RATE))
        m = int(round(ev.end * SAMPLE_RATE)) - a
        dry = sounds.render(ev.cls, m, source_rng) * np.float32(10 ** (ev.level_db / 20))
        ir = bank.irs[ev.position].reshape(2 * FOA_CHANNELS, -1)
        wet = oaconvolve(dry[None, :], ir, axes=-1)[:, : n - a]
        mix[:, a : a + wet.shape[1]] += wet.astype(np.float32)
    snr = float(noise_rng.uniform(*params.snr_db))
    brown = float(noise_rng.uniform(0.0, 1.0))
    noise = colored_noise(noise_rng, 2 * FOA_CHANNELS, n, brown)
    noise[[1, 2, 3, 5, 6, 7]] /= np.float32(np.sqrt(3.0))  # diffuse field: X, Y, Z get 1/3 of W's power
    p_sig = float(np.mean(mix[0].astype(np.float64) ** 2))
    noise *= np.float32(np.sqrt(p_sig / 10 ** (snr / 10)) if p_sig > 0 else 1e-3)
    out = mix + noise
    rms = float(np.sqrt(np.mean(out[0].astype(np.float64) ** 2)))
    peak = float(np.abs(out).max())
    scale = min(TARGET_RMS / max(rms, 1e-12), 0.95 / max(peak, 1e-12))
    return (out * np.float32(scale)).astype(np.float32), events, {"snr_db": snr, "noise_brown": brown}


def _fmt(v: float, decimals: int) -> str:
    return f"{round(v, decimals) + 0.0:.{decimals}f}"


def label_csv(spec: ClipSpec, events: list[ScheduledEvent], bank: IRBank, params: SynthParams) -> str:
    """The label CSV text: header ``File,Start,End,Class,X,Y,Z``, X,Y,Z relative to mic A."""
    tdec = max(1, int(np.ceil(-np.log10(params.time_resolution) - 1e-9)))
    lines = [CSV_HEADER]
    for ev in events:
        x, y, z = bank.positions[ev.position]
        lines.append(
            f"{spec.name}_A.wav,{_fmt(ev.start, tdec)},{_fmt(ev.end, tdec)},{ev.cls},"
            f"{_fmt(x, 3)},{_fmt(y, 3)},{_fmt(z, 3)}"
        )
    return "\n".join(lines) + "\n"


def wav_bytes(audio: np.ndarray, subtype: str, sample_rate: int = SAMPLE_RATE) -> bytes:
    """A canonical WAV file (channels, N) at ``sample_rate`` as bytes: 32-bit float (format 3) or 16-bit PCM
    (format 1).

    Written by hand because libsndfile adds a PEAK chunk with a timestamp to float WAVs, which would
    make equal data give different files.
    """
    channels = audio.shape[0]
    if subtype == "float":
        fmt_tag, width = 3, 4
        data = np.ascontiguousarray(audio.T, dtype="<f4").tobytes()
    else:
        fmt_tag, width = 1, 2
        data = np.ascontiguousarray(np.clip(np.round(audio.T * 32767.0), -32768, 32767), dtype="<i2").tobytes()
    fmt = struct.pack(
        "<HHIIHH", fmt_tag, channels, sample_rate, sample_rate * channels * width, channels * width, 8 * width
    )
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def write_clip(out: Path, spec: ClipSpec, params: SynthParams, seed: int, bank: IRBank, sounds: Any) -> dict:
    """Render one clip and write its two wavs and its CSV atomically."""
    audio, events, info = render_clip(spec, params, seed, bank, sounds)
    data_dir = out / spec.split_dir / "data"
    for mic, rows in (("A", audio[:FOA_CHANNELS]), ("B", audio[FOA_CHANNELS:])):
        with atomic_path(data_dir / f"{spec.name}_{mic}.wav") as tmp:
            tmp.write_bytes(wav_bytes(rows, params.subtype))
    with atomic_open(out / spec.split_dir / "labels" / f"label_{spec.name}.csv", "w", newline="") as fh:
        fh.write(label_csv(spec, events, bank, params))
    return {
        "name": spec.name,
        "split_dir": spec.split_dir,
        "events": len(events),
        "max_overlap": max_overlap(events, params.time_resolution),
        "snr_db": round(info["snr_db"], 3),
    }


# Per-process state of the worker pool (the IR bank is read once per process, not pickled per task).
_STATE: dict[str, Any] = {}


def _init_worker(ir_path: str, sound_bank: str | None) -> None:
    _STATE["bank"] = read_bank(ir_path)
    _STATE["sounds"] = RecordingBank(sound_bank) if sound_bank else ProceduralBank()


def _work(out: str, spec: ClipSpec, params: SynthParams, seed: int) -> dict:
    return write_clip(Path(out), spec, params, seed, _STATE["bank"], _STATE["sounds"])


def _prepare_out(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise SeldError("output path exists and is not a folder", out)
    if out.is_dir() and any(not is_lock_file(p) for p in out.iterdir()):
        if not overwrite:
            raise SeldError("output folder exists and is not empty (use --overwrite)", out)
        for name in (*SPLIT_DIRS.values(), "manifest.json"):
            target = out / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    out.mkdir(parents=True, exist_ok=True)


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def synthesize(
    out: str | Path,
    preset: str = "tiny",
    seed: int = 0,
    workers: int | None = None,
    progress: bool = True,
    overwrite: bool = False,
    ir_cache: str | Path | None = None,
    **overrides: Any,
) -> Path:
    """Write a synthetic L3DAS22 Task 2 dataset to ``out`` and return ``out``.

    ``overrides`` replace preset fields (``train_clips``, ``dev_clips``, ``duration``, ``grid_spacing``,
    ``sound_bank``, ``subtype``, ``ovs``, ``snr_db``, ... and room fields such as ``rt60``).
    """
    from tqdm import tqdm

    t0 = time.perf_counter()
    if isinstance(overrides.get("sound_bank"), Path):
        overrides["sound_bank"] = str(overrides["sound_bank"])
    params = get_preset(preset, **overrides)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SeldError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    workers = default_workers() if workers is None else int(workers)
    if workers < 1:
        raise SeldError(f"workers must be >= 1, got {workers}")
    if params.sound_bank:
        list_bank(params.sound_bank)  # fail early with a clear message
    out = Path(out).expanduser()
    with folder_lock(out, "synth"):
        _prepare_out(out, overwrite)
        bank, ir_path = load_bank(params.room, params.grid_spacing, ir_cache)
        log.debug("IR bank %s: %d positions", ir_path, len(bank.positions))
        specs = plan_clips(params)
        results: list[dict] = []
        bar = tqdm(total=len(specs), desc="synth", unit="clip", disable=not progress)
        try:
            if workers == 1:
                sounds = RecordingBank(params.sound_bank) if params.sound_bank else ProceduralBank()
                for spec in specs:
                    results.append(write_clip(out, spec, params, seed, bank, sounds))
                    bar.update()
            else:
                import multiprocessing as mp

                ctx = mp.get_context("spawn")
                pool = ProcessPoolExecutor(
                    workers, mp_context=ctx, initializer=_init_worker, initargs=(str(ir_path), params.sound_bank)
                )
                try:
                    futures = [pool.submit(_work, str(out), spec, params, seed) for spec in specs]
                    for fut in as_completed(futures):
                        results.append(fut.result())
                        bar.update()
                except BaseException:  # an error or Ctrl-C: do not wait for the queued clips
                    pool.shutdown(wait=False, cancel_futures=True)
                    raise
                pool.shutdown()
        finally:
            bar.close()
        order = {spec.name + spec.split_dir: i for i, spec in enumerate(specs)}
        results.sort(key=lambda r: order[r["name"] + r["split_dir"]])
        manifest = {
            "format": "L3DAS22 Task 2 (synthetic, seld synth)",
            "seed": seed,
            "preset": preset,
            "params": params.to_dict(),
            "sample_rate": SAMPLE_RATE,
            "channels_per_mic": FOA_CHANNELS,
            "ambisonics": "FOA, ACN channel order (W, Y, Z, X), SN3D normalisation",
            "mics": {"A": [0.0, 0.0, 0.0], "B": [0.0, params.room.mic_spacing, 0.0]},
            "room": {
                "method": "pyroomacoustics image sources + FOA encoding per image + diffuse tail",
                "absorption": bank.absorption,
                "ir_cache_key": bank.key,
                "grid_positions": len(bank.positions),
            },
            "sounds": "recordings" if params.sound_bank else "procedural",
            "splits": {"train": list(TRAIN_SPLITS), "dev": [DEV_SPLIT]},
            "clips": results,
        }
        write_json_atomic(out / "manifest.json", manifest)
        log.info("synth: %d clips in %s (%.1f s)", len(specs), out, time.perf_counter() - t0)
        return out
