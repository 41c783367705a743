"""Frame rows to human-readable events: onset, offset, class name and mean position."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..constants import CLASSES, LABEL_HOP_S


def rows_to_events(
    rows: np.ndarray, classes: tuple[str, ...] = CLASSES, max_jump_m: float = 1.0
) -> list[dict[str, Any]]:
    """Link rows of the same class in consecutive frames whose positions stay within ``max_jump_m``;
    ``classes`` names the class indices (the dataset format's classes)."""
    events: list[dict[str, Any]] = []
    open_tracks: list[dict[str, Any]] = []
    rows = np.asarray(rows, dtype=float).reshape(-1, 5)
    for frame in np.unique(rows[:, 0]).astype(int) if len(rows) else []:
        still_open = []
        here = rows[rows[:, 0] == frame]
        used = np.zeros(len(here), dtype=bool)
        for track in open_tracks:
            if track["last"] != frame - 1:
                events.append(track)
                continue
            best, best_d = -1, max_jump_m
            for i, r in enumerate(here):
                d = float(np.linalg.norm(r[2:] - track["pos"][-1]))
                if not used[i] and int(r[1]) == track["cls"] and d < best_d:
                    best, best_d = i, d
            if best < 0:
                events.append(track)
                continue
            used[best] = True
            track["last"] = frame
            track["pos"].append(here[best, 2:])
            still_open.append(track)
        for i, r in enumerate(here):
            if not used[i]:
                still_open.append({"cls": int(r[1]), "first": frame, "last": frame, "pos": [r[2:]]})
        open_tracks = still_open
    events.extend(open_tracks)
    out = []
    for ev in sorted(events, key=lambda e: (e["first"], e["cls"])):
        pos = np.mean(ev["pos"], axis=0)
        out.append({
            "onset": round(ev["first"] * LABEL_HOP_S, 3),
            "offset": round((ev["last"] + 1) * LABEL_HOP_S, 3),
            "class": classes[ev["cls"]],
            "class_index": ev["cls"],
            "x": round(float(pos[0]), 3), "y": round(float(pos[1]), 3), "z": round(float(pos[2]), 3),
        })
    return out
