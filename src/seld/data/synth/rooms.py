"""First-order Ambisonics room impulse responses on a grid of source positions, cached on disk.

Method (why: physically right FOA direction cues without a measured IR set):
pyroomacoustics computes the image sources of a shoebox room (positions and wall damping, uniform
absorption from Sabine's formula for the target RT60). Each image contributes, for each microphone,
a fractional-delay impulse (Hann-windowed sinc) at ``dist / c`` with gain ``damping / (4 pi dist)`` to
W, and the same times the unit direction components ``(u_y, u_z, u_x)`` to Y, Z, X (ACN order, SN3D
first order). Images farther than the radius where the image model of order ``max_order`` is complete
are dropped and replaced by a diffuse tail (exponentially decaying noise at the RT60, W with unit
variance and X, Y, Z independent with variance 1/3, as for a diffuse field), so that the IR decays like
the target room without a very high image order. As in the real L3DAS22 (measured IRs on a grid),
IRs are computed once for a grid of source positions and events sit on grid points.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...constants import COORD_RANGES, FOA_CHANNELS, SAMPLE_RATE
from ...errors import DataError
from ...io_utils import atomic_path
from .presets import RoomConfig

IR_VERSION = 1
"""Bump when the IR computation changes, so that stale cache files are not reused."""
_SINC_HALF = 8


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "seld" / "foa_irs"


def grid_points(spacing: float, room: RoomConfig) -> np.ndarray:
    """Grid positions (P, 3) relative to mic A covering the L3DAS22 ranges, centred in each range.

    Points closer than ``room.min_source_distance`` to mic A or mic B are left out (a source on the
    microphone has no direction).
    """
    axes = []
    for lo, hi in COORD_RANGES:
        n = int(np.floor((hi - lo) / spacing + 1e-9)) + 1
        start = lo + ((hi - lo) - (n - 1) * spacing) / 2
        axes.append(np.round(start + spacing * np.arange(n), 6))
    pts = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)
    mic_b = np.array([0.0, room.mic_spacing, 0.0])
    keep = (np.linalg.norm(pts, axis=1) >= room.min_source_distance) & (
        np.linalg.norm(pts - mic_b, axis=1) >= room.min_source_distance
    )
    return (pts[keep] + 0.0).astype(np.float64)


def mic_positions(room: RoomConfig) -> np.ndarray:
    """Room coordinates (2, 3) of mic A and mic B (B is ``mic_spacing`` along +y, the room width)."""
    a = np.asarray(room.mic_a, dtype=np.float64)
    return np.stack([a, a + np.array([0.0, room.mic_spacing, 0.0])])


def check_room(room: RoomConfig) -> None:
    """Every source position of the L3DAS22 ranges (and both mics) must be inside the room."""
    dims = np.asarray(room.dims)
    a = np.asarray(room.mic_a)
    lo = a + np.array([r[0] for r in COORD_RANGES])
    hi = a + np.array([r[1] for r in COORD_RANGES])
    if np.any(lo <= 0.05) or np.any(hi >= dims - 0.05) or np.any(mic_positions(room)[1] >= dims):
        raise DataError(f"room {room.dims} with mic A at {room.mic_a} does not contain the source ranges")
    if room.rt60 <= 0 or room.max_order < 1 or room.ir_seconds <= 0:
        raise DataError("room rt60, max_order and ir_seconds must be positive")


def cache_key(room: RoomConfig, spacing: float, sample_rate: int = SAMPLE_RATE) -> str:
    """A hash of everything the IR bank depends on."""
    blob = json.dumps(
        {"room": dataclasses.asdict(room), "spacing": spacing, "sr": sample_rate, "version": IR_VERSION},
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _absorption(room: RoomConfig) -> float:
    import pyroomacoustics as pra

    e_abs, _ = pra.inverse_sabine(room.rt60, list(room.dims))
    return float(e_abs)


def image_sources(room: RoomConfig, source: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Image source positions (3, K), damping (K,) and reflection orders (K,) from pyroomacoustics."""
    import pyroomacoustics as pra

    shoebox = pra.ShoeBox(
        list(room.dims),
        fs=SAMPLE_RATE,
        materials=pra.Material(_absorption(room)),
        max_order=room.max_order,
        air_absorption=False,
    )
    shoebox.add_source(list(source))
    shoebox.add_microphone_array(mic_positions(room).T)
    shoebox.image_source_model()
    src = shoebox.sources[0]
    return np.asarray(src.images, float), np.asarray(src.damping, float)[0], np.asarray(src.orders)


def foa_ir(
    room: RoomConfig,
    images: np.ndarray,
    damping: np.ndarray,
    orders: np.ndarray,
    mic: np.ndarray,
    rng: np.random.Generator,
    sample_rate: int = SAMPLE_RATE,
) -> np.ndarray:
    """FOA impulse response (4, L) float32 (W, Y, Z, X; SN3D) of the given image sources at ``mic``."""
    n = int(round(room.ir_seconds * sample_rate))
    vec = images - mic[:, None]
    dist = np.maximum(np.linalg.norm(vec, axis=0), 1e-3)
    # The image model of order N is complete up to the nearest image of order N (the next order only
    # adds images farther away); beyond, a diffuse tail takes over.
    r_complete = float(dist[orders == orders.max()].min()) if room.diffuse_tail else np.inf
    keep = dist < r_complete
    vec, dist, damping = vec[:, keep], dist[keep], damping[keep]
    unit = vec / dist
    gain = damping / (4 * np.pi * dist)
    delay = dist / room.sound_speed * sample_rate
    base = np.floor(delay).astype(np.int64)
    taps = np.arange(-_SINC_HALF + 1, _SINC_HALF + 1)
    idx = base[:, None] + taps[None, :]
    frac = delay - base
    x = taps[None, :] - frac[:, None]
    kernel = np.sinc(x) * (0.5 + 0.5 * np.cos(np.pi * x / (_SINC_HALF + 1)))
    valid = (idx >= 0) & (idx < n)
    ir = np.zeros((FOA_CHANNELS, n), dtype=np.float64)
    weights = (unit[1], unit[2], unit[0])  # ACN: W, Y, Z, X
    contrib = kernel * gain[:, None]
    np.add.at(ir[0], idx[valid], contrib[valid])
    for ch, w in enumerate(weights, start=1):
        np.add.at(ir[ch], idx[valid], (contrib * w[:, None])[valid])
    if room.diffuse_tail and np.isfinite(r_complete):
        t_c = int(r_complete / room.sound_speed * sample_rate)
        win = int(0.02 * sample_rate)
        if t_c < n and t_c > win:
            level = np.sqrt(np.mean(ir[0, t_c - win : t_c] ** 2))
            t = np.arange(n - t_c) / sample_rate
            env = level * np.exp(-6.9078 * (t + win / 2 / sample_rate) / room.rt60)
            noise = rng.standard_normal((FOA_CHANNELS, n - t_c))
            noise[1:] /= np.sqrt(3.0)
            ir[:, t_c:] += noise * env
    fade = min(n // 10, int(0.02 * sample_rate))
    ir[:, n - fade :] *= np.linspace(1.0, 0.0, fade)
    return ir.astype(np.float32)


@dataclass
class IRBank:
    """IRs of every grid point for both mics: ``irs`` (P, 2, 4, L) float32, ``positions`` (P, 3)."""

    irs: np.ndarray
    positions: np.ndarray
    key: str
    absorption: float

    def nearest(self, xyz: np.ndarray) -> int:
        return int(np.argmin(np.linalg.norm(self.positions - np.asarray(xyz)[None], axis=1)))


def compute_bank(room: RoomConfig, spacing: float, key: str = "") -> IRBank:
    """Simulate the IRs of every grid point (deterministic: the tail noise is seeded by the key)."""
    check_room(room)
    rel = grid_points(spacing, room)
    mics = mic_positions(room)
    seed = int(key or cache_key(room, spacing), 16)
    irs = []
    for i, p in enumerate(rel):
        images, damping, orders = image_sources(room, np.asarray(room.mic_a) + p)
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(i,)))
        irs.append(np.stack([foa_ir(room, images, damping, orders, m, rng) for m in mics]))
    return IRBank(np.stack(irs), rel, key or cache_key(room, spacing), _absorption(room))


def load_bank(room: RoomConfig, spacing: float, cache_dir: str | Path | None = None) -> tuple[IRBank, Path]:
    """The IR bank for ``room`` and grid ``spacing``: read from the cache, or computed and cached."""
    key = cache_key(room, spacing)
    path = Path(cache_dir if cache_dir is not None else default_cache_dir()).expanduser() / f"{key}.npz"
    if path.is_file():
        try:
            with np.load(path) as z:
                return IRBank(z["irs"], z["positions"], key, float(z["absorption"])), path
        except (OSError, KeyError, ValueError):
            pass  # a damaged cache file is recomputed below
    bank = compute_bank(room, spacing, key)
    with atomic_path(path) as tmp:
        np.savez(tmp, irs=bank.irs, positions=bank.positions, absorption=np.float64(bank.absorption))
    return bank, path


def read_bank(path: str | Path) -> IRBank:
    """Read a cache file written by :func:`load_bank` (used by worker processes)."""
    path = Path(path)
    with np.load(path) as z:
        return IRBank(z["irs"], z["positions"], path.stem, float(z["absorption"]))
