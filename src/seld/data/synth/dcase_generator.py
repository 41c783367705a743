"""Synthetic DCASE SELD data (STARSS23 layout): plan the clips, render them (in parallel), write the layout.

Output, read by :mod:`seld.data.dcase` exactly as the real STARSS23::

    OUT/foa_dev/dev-train-synth/fold3_room<R>_mix<NNN>.wav      4 channels FOA ACN/SN3D, 24 kHz, int16 PCM
    OUT/foa_dev/dev-test-synth/fold4_room<R>_mix<NNN>.wav
    OUT/metadata_dev/<split>/<clip>.csv     frame,class,source,azimuth,elevation,distance (deg, deg, cm)
    OUT/manifest.json                       parameters, rooms and clips; written last (marks a complete set)

Clips cycle through the rooms of the preset (R is 1-based) and their maximum polyphony through ``ovs``.
Each clip is a pure function of (parameters, seed, fold, clip index): its random generators come from
``numpy.random.SeedSequence(seed, spawn_key=(fold, index))``, so the files are byte-identical whatever the
number of worker processes. Sources are rendered at 32 kHz (:mod:`.dcase_sources`), resampled to 24 kHz and
convolved with the room's 24 kHz FOA impulse response of their grid position (:mod:`.dcase_rooms`); labels
are the integer degrees and centimetres of that grid position, one row per event and active 100 ms frame.
Diffuse background noise (pink/brown, W with X, Y, Z at 1/3 of its power) sets the SNR.
"""

from __future__ import annotations

import logging
import shutil
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ...constants import DCASE_CLASSES, DCASE_LABEL_HOP_SAMPLES, DCASE_SAMPLE_RATE, FOA_CHANNELS, SAMPLE_RATE
from ...errors import SeldError
from ...io_utils import atomic_open, atomic_path, write_json_atomic
from ...utils.folder_lock import folder_lock, is_lock_file
from .dcase_presets import DcaseSynthParams, PositionGrid, get_dcase_preset
from .dcase_rooms import DcaseIRBank, load_bank, read_bank
from .dcase_scenes import DcaseEvent, polyphony, schedule_dcase_clip
from .dcase_sources import DcaseProceduralBank
from .generator import TARGET_RMS, colored_noise, default_workers, wav_bytes
from .presets import RoomConfig

log = logging.getLogger(__name__)

TRAIN_SPLIT = "dev-train-synth"
TEST_SPLIT = "dev-test-synth"
FOLDS = {TRAIN_SPLIT: 3, TEST_SPLIT: 4}
AUDIO_DIR = "foa_dev"
LABEL_DIR = "metadata_dev"
_UP, _DOWN = 3, 4  # 32 kHz -> 24 kHz
assert SAMPLE_RATE * _UP == DCASE_SAMPLE_RATE * _DOWN


@dataclass(frozen=True)
class DcaseClipSpec:
    """Where one clip goes and how its random generators are derived."""

    split: str
    room: int
    """0-based index into the preset's rooms (the file name says ``room<room + 1>``)."""
    number: int
    """1-based clip number within (split, room)."""
    index: int
    """Clip index within the split (seeds the clip)."""
    ov: int

    @property
    def fold(self) -> int:
        return FOLDS[self.split]

    @property
    def name(self) -> str:
        return f"fold{self.fold}_room{self.room + 1}_mix{self.number:03d}"


def plan_dcase_clips(params: DcaseSynthParams) -> list[DcaseClipSpec]:
    """Train then test clips; clip k of a split is in room ``k % rooms`` with polyphony
    ``ovs[(k // rooms) % len(ovs)]`` (so every room gets every polyphony)."""
    specs = []
    n_rooms = len(params.rooms)
    for split, count in ((TRAIN_SPLIT, params.train_clips), (TEST_SPLIT, params.test_clips)):
        numbers = [0] * n_rooms
        for k in range(count):
            room = k % n_rooms
            numbers[room] += 1
            specs.append(DcaseClipSpec(split, room, numbers[room], k, params.ovs[(k // n_rooms) % len(params.ovs)]))
    return specs


def clip_samples(params: DcaseSynthParams) -> tuple[int, int]:
    """``(samples at 24 kHz, label frames)`` of a clip: frames = floor(samples / 2400), as officially."""
    n = int(round(params.duration * DCASE_SAMPLE_RATE))
    return n, n // DCASE_LABEL_HOP_SAMPLES


def render_dcase_clip(
    spec: DcaseClipSpec, params: DcaseSynthParams, seed: int, banks: list[DcaseIRBank], sounds: Any
) -> tuple[np.ndarray, list[DcaseEvent], dict[str, float]]:
    """Audio (4, N) float32 at 24 kHz (W, Y, Z, X; SN3D; peak <= 0.95) and the events of one clip.

    ``sounds.render(class_index, samples, rng)`` gives a dry source at 32 kHz.
    """
    from scipy.signal import oaconvolve, resample_poly

    ss = np.random.SeedSequence(seed, spawn_key=(spec.fold, spec.index))
    scene_rng, source_rng, noise_rng = (np.random.default_rng(s) for s in ss.spawn(3))
    bank = banks[spec.room]
    n, n_frames = clip_samples(params)
    events = schedule_dcase_clip(scene_rng, params, spec.ov, len(bank.positions), n_frames)
    mix = np.zeros((FOA_CHANNELS, n), dtype=np.float64)
    per_frame32 = SAMPLE_RATE // 10
    for ev in events:
        frames = ev.end - ev.start
        dry = np.asarray(sounds.render(ev.cls, frames * per_frame32, source_rng), dtype=np.float64)
        dry = resample_poly(dry, _UP, _DOWN)[: frames * DCASE_LABEL_HOP_SAMPLES] * 10 ** (ev.level_db / 20)
        a = ev.start * DCASE_LABEL_HOP_SAMPLES
        wet = oaconvolve(dry[None, :], np.asarray(bank.irs[ev.position], dtype=np.float64), axes=-1)[:, : n - a]
        mix[:, a : a + wet.shape[1]] += wet
    snr = float(noise_rng.uniform(*params.snr_db))
    brown = float(noise_rng.uniform(0.0, 1.0))
    # colored_noise's 20 Hz high-pass is designed for 32 kHz: at 24 kHz it sits at 15 Hz (inaudible either way)
    noise = colored_noise(noise_rng, FOA_CHANNELS, n, brown).astype(np.float64)
    noise[1:] /= np.sqrt(3.0)  # diffuse field: X, Y, Z get 1/3 of W's power
    p_sig = float(np.mean(mix[0] ** 2))
    noise *= np.sqrt(p_sig / 10 ** (snr / 10)) if p_sig > 0 else 1e-3
    out = mix + noise
    rms = float(np.sqrt(np.mean(out[0] ** 2)))
    peak = float(np.abs(out).max())
    scale = min(TARGET_RMS / max(rms, 1e-12), 0.95 / max(peak, 1e-12))
    return (out * scale).astype(np.float32), events, {"snr_db": snr, "noise_brown": brown}


def label_rows(events: list[DcaseEvent], bank: DcaseIRBank) -> list[tuple[int, int, int, int, int, int]]:
    """``(frame, class, source, azimuth, elevation, distance_cm)`` per event and active frame, ordered by frame,
    class and source."""
    rows = []
    for ev in events:
        az, el, d = (int(a[ev.position]) for a in (bank.azimuth, bank.elevation, bank.distance_cm))
        rows += [(f, ev.cls, ev.source, az, el, d) for f in range(ev.start, ev.end)]
    return sorted(rows)


def label_csv(events: list[DcaseEvent], bank: DcaseIRBank) -> str:
    """The label CSV text (no header; DCASE2024 6-column metadata, distance in cm)."""
    return "".join(",".join(str(v) for v in row) + "\n" for row in label_rows(events, bank))


def write_dcase_clip(
    out: Path, spec: DcaseClipSpec, params: DcaseSynthParams, seed: int, banks: list[DcaseIRBank], sounds: Any
) -> dict[str, Any]:
    """Render one clip and write its wav (int16) and its label CSV atomically."""
    audio, events, info = render_dcase_clip(spec, params, seed, banks, sounds)
    with atomic_path(out / AUDIO_DIR / spec.split / f"{spec.name}.wav") as tmp:
        tmp.write_bytes(wav_bytes(audio, "pcm16", sample_rate=DCASE_SAMPLE_RATE))
    with atomic_open(out / LABEL_DIR / spec.split / f"{spec.name}.csv", "w", newline="") as fh:
        fh.write(label_csv(events, banks[spec.room]))
    _, n_frames = clip_samples(params)
    per_class = np.zeros((n_frames, len(DCASE_CLASSES)), dtype=int)
    for ev in events:
        per_class[ev.start : ev.end, ev.cls] += 1
    return {
        "name": spec.name,
        "split": spec.split,
        "room": spec.room + 1,
        "events": len(events),
        "max_polyphony": int(polyphony(events, n_frames).max(initial=0)),
        "same_class_overlap_frames": int((per_class.max(axis=1, initial=0) > 1).sum()),
        "snr_db": round(info["snr_db"], 3),
    }


# Per-process state of the worker pool (the IR banks are memory-mapped once per process, not pickled per task).
_STATE: dict[str, Any] = {}


def _init_worker(paths: list[str], rooms: tuple[RoomConfig, ...], grid: PositionGrid) -> None:
    _STATE["banks"] = [read_bank(p, r, grid) for p, r in zip(paths, rooms)]
    _STATE["sounds"] = DcaseProceduralBank()


def _work(out: str, spec: DcaseClipSpec, params: DcaseSynthParams, seed: int) -> dict[str, Any]:
    return write_dcase_clip(Path(out), spec, params, seed, _STATE["banks"], _STATE["sounds"])


def _prepare_out(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise SeldError("output path exists and is not a folder", out)
    if out.is_dir() and any(not is_lock_file(p) for p in out.iterdir()):
        if not overwrite:
            raise SeldError("output folder exists and is not empty (use --overwrite)", out)
        for name in (AUDIO_DIR, LABEL_DIR, "manifest.json"):
            target = out / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    out.mkdir(parents=True, exist_ok=True)


def synthesize_dcase(
    out: str | Path,
    preset: str = "dcase-tiny",
    seed: int = 0,
    workers: int | None = None,
    progress: bool = True,
    overwrite: bool = False,
    ir_cache: str | Path | None = None,
    **overrides: Any,
) -> Path:
    """Write a synthetic DCASE SELD dataset (STARSS23 layout) to ``out`` and return ``out``.

    ``overrides`` replace preset fields (``train_clips``, ``test_clips``, ``duration``, ``ovs``, ``snr_db``,
    ``level_db``, ``gap_s``, ``same_class_prob``, ``rooms``, ``grid``).
    """
    from tqdm import tqdm

    t0 = time.perf_counter()
    params = get_dcase_preset(preset, **overrides)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SeldError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    workers = default_workers() if workers is None else int(workers)
    if workers < 1:
        raise SeldError(f"workers must be >= 1, got {workers}")
    out = Path(out).expanduser()
    with folder_lock(out, "synth"):
        _prepare_out(out, overwrite)
        loaded = [load_bank(room, params.grid, ir_cache) for room in params.rooms]
        banks = [b for b, _ in loaded]
        specs = plan_dcase_clips(params)
        results: list[dict[str, Any]] = []
        bar = tqdm(total=len(specs), desc="synth", unit="clip", disable=not progress)
        try:
            if workers == 1:
                sounds = DcaseProceduralBank()
                for spec in specs:
                    results.append(write_dcase_clip(out, spec, params, seed, banks, sounds))
                    bar.update()
            else:
                import multiprocessing as mp

                pool = ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"), initializer=_init_worker,
                                           initargs=([str(p) for _, p in loaded], params.rooms, params.grid))
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
        order = {(s.split, s.name): i for i, s in enumerate(specs)}
        results.sort(key=lambda r: order[(r["split"], r["name"])])
        n, n_frames = clip_samples(params)
        manifest = {
            "format": "DCASE SELD, STARSS23 layout (synthetic, seld synth)",
            "seed": seed,
            "preset": preset,
            "params": params.to_dict(),
            "sample_rate": DCASE_SAMPLE_RATE,
            "samples_per_clip": n,
            "label_frames_per_clip": n_frames,
            "channels": FOA_CHANNELS,
            "ambisonics": "FOA, ACN channel order (W, Y, Z, X), SN3D normalisation",
            "sample_format": "int16 PCM",
            "labels": "frame,class,source,azimuth,elevation,distance (100 ms frames; integer degrees; cm)",
            "classes": list(DCASE_CLASSES),
            "rooms": [
                {
                    "room": i + 1,
                    "dims": list(room.dims),
                    "mic": list(room.mic_a),
                    "rt60": room.rt60,
                    "absorption": bank.absorption,
                    "grid_positions": len(bank.positions),
                    "ir_cache_key": bank.key,
                }
                for i, (room, bank) in enumerate(zip(params.rooms, banks))
            ],
            "method": "pyroomacoustics image sources + FOA encoding per image + diffuse tail, 24 kHz",
            "sounds": "procedural",
            "splits": {TRAIN_SPLIT: FOLDS[TRAIN_SPLIT], TEST_SPLIT: FOLDS[TEST_SPLIT]},
            "clips": results,
        }
        write_json_atomic(out / "manifest.json", manifest)
        log.info("synth: %d clips in %s (%.1f s)", len(specs), out, time.perf_counter() - t0)
        return out
