"""Event scheduling of one clip: classes, times, levels and grid positions.

An ``ovK`` clip is built from K tracks; each track is a sequence of events separated by gaps of at
least 0.3 s, so at most K events sound at once (also after the official 0.1 s rounding and inclusive
end frame), and K overlaps are reached often. With ``back_to_back_prob`` > 0 (the ``l3das22`` preset) an
event may instead start exactly where its track's previous one ends, as in the real recordings: the two
share their boundary label frame, where an ov3 clip then holds 4 labelled events. A track may pick the
class of an event sounding on another track (homogeneous overlap; at most 3 of a class at once since K <= 3,
checked on the official frames when events may touch). Clips whose schedule never reaches K overlaps are
redrawn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...constants import CLASSES
from ...errors import DataError
from .presets import SynthParams
from .sources import DURATIONS


@dataclass(frozen=True)
class ScheduledEvent:
    """One event: times in seconds (on the time-resolution grid), level in dB, grid position index."""

    cls: str
    start: float
    end: float
    level_db: float
    position: int
    track: int


def max_overlap(events: list[ScheduledEvent] | list[tuple[float, float]], step: float = 0.1) -> int:
    """Largest number of events active in one ``step`` frame (half-open frames [i*step, (i+1)*step))."""
    spans = [(e.start, e.end) if isinstance(e, ScheduledEvent) else e for e in events]
    if not spans:
        return 0
    n = int(np.ceil(max(e for _, e in spans) / step)) + 1
    count = np.zeros(n, dtype=int)
    for s, e in spans:
        i0 = int(np.floor(s / step + 1e-6))
        i1 = int(np.ceil(e / step - 1e-6))
        count[i0:i1] += 1
    return int(count.max())


def _classes_fit_slots(events: list[ScheduledEvent], duration: float) -> bool:
    """Whether the official label conversion finds at most 3 events of a class in every frame."""
    from ..l3das22 import Event, events_to_slots

    labels = [Event(e.start, e.end, CLASSES.index(e.cls), 0.0, 0.0, 0.0) for e in events]
    try:
        events_to_slots(labels, duration=duration)
    except DataError:
        return False
    return True


def _q(t: float, res: float) -> float:
    return round(round(t / res) * res, 6)


def schedule_clip(rng: np.random.Generator, params: SynthParams, ov: int, n_positions: int) -> list[ScheduledEvent]:
    """Draw the events of one clip with polyphony ``ov`` (sorted by start time)."""
    res = params.time_resolution
    dur = params.duration
    best: list[ScheduledEvent] = []
    for _attempt in range(50):
        events: list[ScheduledEvent] = []
        for track in range(ov):
            t = _q(rng.uniform(0.0, min(1.0, dur / 4)) if track == 0 else rng.uniform(0, dur / 3), res)
            while True:
                active = [e for e in events if e.start <= t < e.end]
                if active and rng.random() < params.same_class_prob:
                    cls = active[int(rng.integers(len(active)))].cls
                else:
                    cls = CLASSES[int(rng.integers(len(CLASSES)))]
                lo, hi = DURATIONS[cls]
                length = _q(rng.uniform(lo, hi), res)
                end = _q(min(t + length, dur), res)
                if end - t < max(lo * 0.6, 0.3):
                    break
                overlapping = [e for e in events if e.start < end and t < e.end]
                taken = {e.position for e in overlapping}
                free = [p for p in range(n_positions) if p not in taken]
                pos = int(free[int(rng.integers(len(free)))]) if free else int(rng.integers(n_positions))
                level = float(rng.uniform(*params.level_db))
                events.append(ScheduledEvent(cls, t, end, level, pos, track))
                back_to_back = params.back_to_back_prob > 0 and rng.random() < params.back_to_back_prob
                t = end if back_to_back else _q(end + rng.uniform(*params.gap_s), res)
                if t >= dur - 0.3:
                    break
        events.sort(key=lambda e: (e.start, e.track))
        if params.back_to_back_prob > 0 and not _classes_fit_slots(events, dur):
            continue
        if events and max_overlap(events, res) == ov:
            return events
        if len(events) > len(best):
            best = events
    return best
