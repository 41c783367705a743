"""Named parameter sets of the synthetic DCASE SELD generator (``seld synth --preset dcase-tiny|dcase-demo|dcase``).

As for the L3DAS22 presets (:mod:`.presets`), ``(preset, overrides, seed)`` is a complete recipe and the
manifest stores the resolved parameters. Rooms are :class:`~seld.data.synth.presets.RoomConfig` (``mic_a`` is
the one FOA microphone; ``mic_spacing`` and ``min_source_distance`` are not used).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from ...errors import SeldError
from .presets import RoomConfig


@dataclass(frozen=True)
class PositionGrid:
    """Source positions around the microphone, in the label units (integer degrees and centimetres).

    Every (azimuth, elevation, distance) of the grid whose point lies ``wall_margin`` metres inside the room
    is a position of that room; its labels are exactly these integers.
    """

    azimuth_step: int = 20
    """Azimuths -180, -180 + step, ... < 180 degrees."""
    elevations: tuple[int, ...] = (-40, -20, 0, 20, 40)
    distances_cm: tuple[int, ...] = (50, 100, 150, 220, 300, 400)
    wall_margin: float = 0.3


ROOMS: tuple[RoomConfig, ...] = (
    # small office, dry
    RoomConfig(dims=(5.2, 4.1, 2.9), mic_a=(2.4, 1.9, 1.4), mic_spacing=0.0, rt60=0.3, max_order=12, ir_seconds=0.35),
    # meeting room
    RoomConfig(dims=(7.6, 5.8, 3.2), mic_a=(3.5, 2.7, 1.5), mic_spacing=0.0, rt60=0.5, max_order=12, ir_seconds=0.5),
    # classroom / large living space
    RoomConfig(dims=(10.5, 8.3, 3.8), mic_a=(5.0, 4.3, 1.6), mic_spacing=0.0, rt60=0.8, max_order=12, ir_seconds=0.7),
    # small, heavily furnished room
    RoomConfig(dims=(6.3, 4.9, 2.7), mic_a=(2.8, 2.6, 1.3), mic_spacing=0.0, rt60=0.22, max_order=12, ir_seconds=0.3),
    # hall
    RoomConfig(dims=(13.0, 9.5, 4.5), mic_a=(6.6, 4.4, 1.7), mic_spacing=0.0, rt60=1.0, max_order=12, ir_seconds=0.8),
)


@dataclass(frozen=True)
class DcaseSynthParams:
    """Every parameter of a synthetic DCASE dataset except the seed."""

    name: str
    train_clips: int
    test_clips: int
    duration: float
    """Clip length in seconds; any length >= 1 s (a last partial 100 ms frame is not labelled, as officially)."""
    rooms: tuple[RoomConfig, ...] = ROOMS[:3]
    grid: PositionGrid = PositionGrid()
    ovs: tuple[int, ...] = (1, 2, 3)
    """Maximum polyphony of a clip, cycled over the clips of a split."""
    snr_db: tuple[float, float] = (6.0, 30.0)
    level_db: tuple[float, float] = (-10.0, 10.0)
    gap_s: tuple[float, float] = (0.2, 2.0)
    same_class_prob: float = 0.2
    """Chance that an event takes the class of one sounding on another track (same-class overlap)."""

    def validate(self) -> DcaseSynthParams:
        """Reject values that cannot make a valid dataset, with one clear message."""
        if self.train_clips < 0 or self.test_clips < 0 or self.train_clips + self.test_clips <= 0:
            raise SeldError(f"clip counts must be >= 0 and not both 0 (train={self.train_clips}, "
                            f"test={self.test_clips})")
        if not (math.isfinite(self.duration) and self.duration >= 1.0):
            raise SeldError(f"duration must be at least 1 s, got {self.duration}")
        if not self.ovs or any(k not in (1, 2, 3) for k in self.ovs):
            raise SeldError(f"ovs must be a non-empty subset of 1, 2, 3, got {self.ovs}")
        if not self.rooms:
            raise SeldError("at least one room is needed")
        if self.snr_db[0] > self.snr_db[1] or self.level_db[0] > self.level_db[1]:
            raise SeldError("snr_db and level_db ranges must be (low, high)")
        if self.gap_s[0] < 0.1 or self.gap_s[0] > self.gap_s[1]:
            raise SeldError("gap_s must be (low, high) with low >= 0.1 s (one label frame)")
        if not 0.0 <= self.same_class_prob <= 1.0:
            raise SeldError(f"same_class_prob must be in [0, 1], got {self.same_class_prob}")
        g = self.grid
        if not (1 <= g.azimuth_step <= 180 and g.elevations and g.distances_cm):
            raise SeldError(f"bad position grid {g}")
        if any(abs(e) > 90 for e in g.elevations) or any(d <= 0 for d in g.distances_cm):
            raise SeldError(f"grid elevations must be within +-90 degrees and distances positive: {g}")
        return self

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


TINY_GRID = PositionGrid(azimuth_step=45, elevations=(-30, 0, 30), distances_cm=(100, 200))

DCASE_PRESETS: dict[str, DcaseSynthParams] = {
    # Seconds to make, for tests: a coarse grid, 3 rooms, clips of 6.05 s (60 label frames and a partial one).
    "dcase-tiny": DcaseSynthParams(name="dcase-tiny", train_clips=9, test_clips=6, duration=6.05, grid=TINY_GRID),
    # Sized like the L3DAS22 `demo` preset: a small model trains in minutes on a 2-core CPU.
    "dcase-demo": DcaseSynthParams(name="dcase-demo", train_clips=240, test_clips=48, duration=10.0),
    # Larger: 5 rooms, 30 s clips.
    "dcase": DcaseSynthParams(name="dcase", train_clips=600, test_clips=150, duration=30.0, rooms=ROOMS),
}


def get_dcase_preset(name: str, **overrides: Any) -> DcaseSynthParams:
    """The preset ``name`` with ``overrides`` (None values ignored), validated."""
    if name not in DCASE_PRESETS:
        raise SeldError(f"unknown DCASE preset {name!r} (choose from {', '.join(DCASE_PRESETS)})")
    changes = {k: v for k, v in overrides.items() if v is not None}
    known = {f.name for f in dataclasses.fields(DcaseSynthParams)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise SeldError(f"unknown DCASE synth parameter(s): {', '.join(unknown)}")
    if "ovs" in changes:
        changes["ovs"] = tuple(int(k) for k in changes["ovs"])
    for key in ("snr_db", "level_db", "gap_s"):
        if key in changes:
            changes[key] = tuple(float(v) for v in changes[key])
    return dataclasses.replace(DCASE_PRESETS[name], **changes).validate()
