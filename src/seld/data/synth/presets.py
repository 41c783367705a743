"""Named parameter sets of the synthetic generator (``seld synth --preset``).

A preset fixes every parameter that shapes the data, so that ``(preset, overrides, seed)`` is a
complete recipe; the manifest stores the resolved parameters.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from ...errors import SeldError


@dataclass(frozen=True)
class RoomConfig:
    """Shoebox room and microphone placement (metres, room coordinates with a corner at 0).

    Mic A sits so that the L3DAS22 source ranges (X +-2, Y +-1.5, Z +-1 relative to A) lie inside the
    room with >= 0.4 m margin from every wall; mic B is ``mic_spacing`` further along +y (room width).
    """

    dims: tuple[float, float, float] = (6.0, 4.0, 3.0)
    mic_a: tuple[float, float, float] = (2.9, 1.9, 1.4)
    mic_spacing: float = 0.2
    rt60: float = 0.4
    max_order: int = 15
    ir_seconds: float = 0.4
    diffuse_tail: bool = True
    sound_speed: float = 343.0
    min_source_distance: float = 0.4


@dataclass(frozen=True)
class SynthParams:
    """Every parameter of a synthetic dataset except the seed."""

    name: str
    train_clips: int
    dev_clips: int
    duration: float
    ovs: tuple[int, ...] = (1, 2, 3)
    grid_spacing: float = 0.5
    snr_db: tuple[float, float] = (6.0, 30.0)
    level_db: tuple[float, float] = (-10.0, 10.0)
    gap_s: tuple[float, float] = (0.3, 2.0)
    same_class_prob: float = 0.15
    back_to_back_prob: float = 0.0
    """Chance that an event on a track starts exactly where the track's previous event ends (no gap), as in
    the real recordings: the two then share one label frame (inclusive end frame), so an ov3 clip can hold
    4 events in a frame. 0 draws nothing extra, keeping older presets byte-identical for a seed."""
    time_resolution: float = 0.1
    subtype: str = "float"
    sound_bank: str | None = None
    room: RoomConfig = field(default_factory=RoomConfig)

    def validate(self) -> SynthParams:
        """Reject values that cannot make a valid dataset, with one clear message."""
        if self.train_clips < 0 or self.dev_clips < 0 or self.train_clips + self.dev_clips <= 0:
            raise SeldError(f"clip counts must be >= 0 and not both 0 (train={self.train_clips}, dev={self.dev_clips})")
        if not (self.duration > 0 and math.isfinite(self.duration)):
            raise SeldError(f"duration must be positive, got {self.duration}")
        if self.duration < 1.0:
            raise SeldError(f"duration must be at least 1 s, got {self.duration}")
        if not self.ovs or any(k not in (1, 2, 3) for k in self.ovs):
            raise SeldError(f"ovs must be a non-empty subset of 1, 2, 3, got {self.ovs}")
        if not (0.05 <= self.grid_spacing <= 2.0):
            raise SeldError(f"grid spacing must be in [0.05, 2] m, got {self.grid_spacing}")
        if self.subtype not in ("float", "pcm16"):
            raise SeldError(f"subtype must be 'float' or 'pcm16', got {self.subtype!r}")
        if self.snr_db[0] > self.snr_db[1] or self.level_db[0] > self.level_db[1]:
            raise SeldError("snr_db and level_db ranges must be (low, high)")
        if not 0.0 <= self.back_to_back_prob <= 1.0:
            raise SeldError(f"back_to_back_prob must be in [0, 1], got {self.back_to_back_prob}")
        if self.gap_s[0] < 0.3 or self.gap_s[0] > self.gap_s[1]:
            raise SeldError("gap_s must be (low, high) with low >= 0.3 s (keeps label frames of one track apart)")
        return self

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


PRESETS: dict[str, SynthParams] = {
    # Seconds to make, for tests: 2 train clips per split 0-3, 4 dev clips, coarse 1 m grid.
    "tiny": SynthParams(name="tiny", train_clips=8, dev_clips=4, duration=6.0, grid_spacing=1.0),
    # Sized for a small CNN trained ~8 minutes on a 2-core CPU (the lead tunes the counts).
    "demo": SynthParams(name="demo", train_clips=240, dev_clips=48, duration=10.0),
    # The size of the real L3DAS22 Task 2 train + dev sets, with back-to-back events as the recordings have.
    "l3das22": SynthParams(name="l3das22", train_clips=600, dev_clips=150, duration=30.0, back_to_back_prob=0.2),
}


def get_preset(name: str, **overrides: Any) -> SynthParams:
    """The preset ``name`` with ``overrides`` (None values ignored), validated."""
    if name not in PRESETS:
        raise SeldError(f"unknown preset {name!r} (choose from {', '.join(PRESETS)})")
    params = PRESETS[name]
    changes = {k: v for k, v in overrides.items() if v is not None}
    room_fields = {f.name for f in dataclasses.fields(RoomConfig)}
    room_changes = {k: changes.pop(k) for k in list(changes) if k in room_fields}
    known = {f.name for f in dataclasses.fields(SynthParams)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise SeldError(f"unknown synth parameter(s): {', '.join(unknown)}")
    if "ovs" in changes:
        changes["ovs"] = tuple(int(k) for k in changes["ovs"])
    for key in ("snr_db", "level_db", "gap_s"):
        if key in changes:
            changes[key] = tuple(float(v) for v in changes[key])
    if room_changes:
        changes["room"] = dataclasses.replace(params.room, **room_changes)
    return dataclasses.replace(params, **changes).validate()
