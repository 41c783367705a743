"""Event scheduling of one synthetic DCASE clip: classes, label frames, levels, grid positions, source ids.

Times are in 100 ms label frames (integers), so labels need no rounding: an event is active in frames
``start <= f < end``. A clip of maximum polyphony K is built from K tracks; each track is a sequence of
events separated by gaps of at least one frame, so at most K events sound in a frame, and K is reached
(clips whose schedule never reaches it are redrawn). With ``same_class_prob`` an event takes the class of
one sounding on another track: same-class overlaps, at most 3 at once since K <= 3. Overlapping events sit
at different positions. Source ids count the events of each class in the clip (0, 1, ... by start), so
simultaneous instances of a class have distinct ids, as in the STARSS23 metadata.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...constants import DCASE_CLASSES
from .dcase_presets import DcaseSynthParams
from .dcase_sources import DCASE_DURATIONS

FRAMES_PER_SECOND = 10


@dataclass(frozen=True)
class DcaseEvent:
    """One event: class index, frames ``[start, end)``, level in dB, position index in the room's bank, track,
    source id."""

    cls: int
    start: int
    end: int
    level_db: float
    position: int
    track: int
    source: int


def polyphony(events: list[DcaseEvent], n_frames: int) -> np.ndarray:
    """Number of active events per label frame (n_frames,)."""
    count = np.zeros(n_frames, dtype=int)
    for e in events:
        count[e.start : e.end] += 1
    return count


def _frames(seconds: float) -> int:
    return int(round(seconds * FRAMES_PER_SECOND))


def schedule_dcase_clip(
    rng: np.random.Generator, params: DcaseSynthParams, ov: int, n_positions: int, n_frames: int
) -> list[DcaseEvent]:
    """Draw the events of one clip of ``n_frames`` label frames with maximum polyphony ``ov``, sorted by
    (start, track)."""
    best: list[tuple[int, int, int, float, int, int]] = []
    for _attempt in range(50):
        drawn: list[tuple[int, int, int, float, int, int]] = []  # cls, start, end, level, position, track
        for track in range(ov):
            hi = min(10, n_frames // 4) if track == 0 else n_frames // 3
            t = int(rng.integers(0, max(hi, 1)))
            while True:
                active = [e for e in drawn if e[1] <= t < e[2]]
                if active and rng.random() < params.same_class_prob:
                    cls = active[int(rng.integers(len(active)))][0]
                else:
                    cls = int(rng.integers(len(DCASE_CLASSES)))
                lo, hi_s = DCASE_DURATIONS[DCASE_CLASSES[cls]]
                end = min(t + max(_frames(rng.uniform(lo, hi_s)), 1), n_frames)
                if end - t < max(_frames(lo * 0.6), 3):
                    break
                taken = {e[4] for e in drawn if e[1] < end and t < e[2]}
                free = [p for p in range(n_positions) if p not in taken]
                pos = int(free[int(rng.integers(len(free)))]) if free else int(rng.integers(n_positions))
                drawn.append((cls, t, end, float(rng.uniform(*params.level_db)), pos, track))
                t = end + max(_frames(rng.uniform(*params.gap_s)), 1)
                if t >= n_frames - 3:
                    break
        drawn.sort(key=lambda e: (e[1], e[5]))
        count = np.zeros(n_frames, dtype=int)
        for e in drawn:
            count[e[1] : e[2]] += 1
        if drawn and count.max() == ov:
            best = drawn
            break
        if len(drawn) > len(best):
            best = drawn
    sources: dict[int, int] = {}
    events = []
    for cls, start, end, level, pos, track in best:
        sources[cls] = sources.get(cls, -1) + 1
        events.append(DcaseEvent(cls, start, end, level, pos, track, sources[cls]))
    return events
