"""FOA room impulse responses of the DCASE synthesis: one microphone, sources on a polar grid, 24 kHz.

The simulation is that of :mod:`.rooms` (pyroomacoustics image sources, each encoded to first-order
Ambisonics ACN/SN3D at a fractional delay, with a diffuse tail at the room's RT60), computed directly at the
DCASE rate of 24 kHz for the microphone ``room.mic_a``. Source positions are the points of a
:class:`~.dcase_presets.PositionGrid` (integer degrees and centimetres, so that labels are exact) that lie
inside the room. A room's IRs are cached on disk as one ``.npy`` file, read memory-mapped, so that worker
processes share them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...constants import DCASE_SAMPLE_RATE, FOA_CHANNELS
from ...errors import DataError
from ...io_utils import atomic_path
from ..dcase_csv import polar_to_cartesian
from .dcase_presets import PositionGrid
from .presets import RoomConfig
from .rooms import _absorption, default_cache_dir, foa_ir, image_sources

DCASE_IR_VERSION = 1
"""Bump when the IR computation changes, so that stale cache files are not reused."""


@dataclass
class DcaseIRBank:
    """IRs of every grid position of one room: ``irs`` (P, 4, L) float32 at 24 kHz (W, Y, Z, X), the labels of
    each position (``azimuth``, ``elevation`` in degrees, ``distance_cm``) and its ``positions`` (P, 3) in metres
    relative to the microphone."""

    irs: np.ndarray
    azimuth: np.ndarray
    elevation: np.ndarray
    distance_cm: np.ndarray
    positions: np.ndarray
    key: str
    absorption: float


def grid_positions(room: RoomConfig, grid: PositionGrid) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(azimuth, elevation, distance_cm, xyz)`` of the grid points ``grid.wall_margin`` inside the room."""
    az, el, dist = np.meshgrid(np.arange(-180, 180, grid.azimuth_step), np.asarray(grid.elevations),
                               np.asarray(grid.distances_cm), indexing="ij")
    az, el, dist = (a.reshape(-1).astype(np.int64) for a in (az, el, dist))
    x, y, z = polar_to_cartesian(az, el)
    xyz = np.stack([x, y, z], axis=1) * (dist[:, None] / 100.0)
    inside = np.asarray(room.mic_a)[None] + xyz
    keep = np.all((inside > grid.wall_margin) & (inside < np.asarray(room.dims)[None] - grid.wall_margin), axis=1)
    return az[keep], el[keep], dist[keep], xyz[keep]


def check_room(room: RoomConfig, grid: PositionGrid) -> None:
    dims, mic = np.asarray(room.dims), np.asarray(room.mic_a)
    if np.any(mic <= 0) or np.any(mic >= dims):
        raise DataError(f"room {room.dims}: the microphone {room.mic_a} is not inside")
    if room.rt60 <= 0 or room.max_order < 1 or room.ir_seconds <= 0:
        raise DataError("room rt60, max_order and ir_seconds must be positive")
    if len(grid_positions(room, grid)[0]) == 0:
        raise DataError(f"room {room.dims}: no grid position fits inside")


def cache_key(room: RoomConfig, grid: PositionGrid) -> str:
    """A hash of everything the IR bank depends on."""
    blob = json.dumps({"room": dataclasses.asdict(room), "grid": dataclasses.asdict(grid), "sr": DCASE_SAMPLE_RATE,
                       "version": DCASE_IR_VERSION, "kind": "dcase"}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _bank(irs: np.ndarray, room: RoomConfig, grid: PositionGrid, key: str) -> DcaseIRBank:
    az, el, dist, xyz = grid_positions(room, grid)
    return DcaseIRBank(irs, az, el, dist, xyz, key, _absorption(room))


def compute_bank(room: RoomConfig, grid: PositionGrid) -> DcaseIRBank:
    """Simulate the IRs of every grid position (deterministic: the tail noise is seeded by the cache key)."""
    check_room(room, grid)
    key = cache_key(room, grid)
    mic = np.asarray(room.mic_a, dtype=np.float64)
    *_, xyz = grid_positions(room, grid)
    irs = np.empty((len(xyz), FOA_CHANNELS, int(round(room.ir_seconds * DCASE_SAMPLE_RATE))), dtype=np.float32)
    for i, p in enumerate(xyz):
        images, damping, orders = image_sources(room, mic + p)
        rng = np.random.default_rng(np.random.SeedSequence(int(key, 16), spawn_key=(i,)))
        irs[i] = foa_ir(room, images, damping, orders, mic, rng, sample_rate=DCASE_SAMPLE_RATE)
    return _bank(irs, room, grid, key)


def bank_path(room: RoomConfig, grid: PositionGrid, cache_dir: str | Path | None = None) -> Path:
    base = Path(cache_dir if cache_dir is not None else default_cache_dir()).expanduser()
    return base / f"dcase_{cache_key(room, grid)}.npy"


def read_bank(path: str | Path, room: RoomConfig, grid: PositionGrid) -> DcaseIRBank:
    """The bank cached at ``path`` (memory-mapped); a DataError if it does not match the room and grid."""
    try:
        irs = np.load(path, mmap_mode="r")
    except (OSError, ValueError) as exc:
        raise DataError(f"unreadable IR cache file ({exc})", path) from None
    n = len(grid_positions(room, grid)[0])
    shape = (n, FOA_CHANNELS, int(round(room.ir_seconds * DCASE_SAMPLE_RATE)))
    if irs.shape != shape or irs.dtype != np.float32:
        raise DataError(f"IR cache file holds {irs.shape} {irs.dtype}, expected {shape} float32", path)
    return _bank(irs, room, grid, cache_key(room, grid))


def load_bank(room: RoomConfig, grid: PositionGrid, cache_dir: str | Path | None = None) -> tuple[DcaseIRBank, Path]:
    """The IR bank of ``room`` on ``grid``: read from the cache, or computed and cached."""
    path = bank_path(room, grid, cache_dir)
    if path.is_file():
        try:
            return read_bank(path, room, grid), path
        except DataError:
            pass  # a damaged or stale cache file is recomputed below
    bank = compute_bank(room, grid)
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.save(fh, bank.irs)
    return read_bank(path, room, grid), path
