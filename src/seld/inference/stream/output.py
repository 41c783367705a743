"""What ``seld stream`` writes: one JSON object per frame, or onset/offset lines of linked events.

Frame lines: ``{"frame": 12, "time": 1.2, "events": [{"class": "Knock", "class_index": 7, "x": 0.5,
"y": -1.0, "z": 0.2, "confidence": 0.91}]}`` (``time`` = start of the 100 ms frame, seconds from the
start of the input). Event lines (``--events``): ``{"event": "onset", "id": 3, "time": 1.2, "class": ...,
"x": ..., "y": ..., "z": ..., "confidence": ...}`` when an event starts, and ``{"event": "offset", "id": 3,
"onset": 1.2, "offset": 2.5, "class": ..., "x", "y", "z" (mean position), "confidence" (mean)}`` once it
has ended. Events are linked as :func:`seld.inference.events.rows_to_events` links offline rows (same
class in consecutive frames, position within ``max_jump_m``), so the offsets of a whole stream list the
same events as ``rows_to_events`` of its rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...constants import CLASSES, LABEL_HOP_S


def _class_name(index: int) -> str:
    return CLASSES[index] if 0 <= index < len(CLASSES) else f"class_{index}"


def frame_record(index: int, rows: np.ndarray, confidences: list[float]) -> dict[str, Any]:
    """The JSON object of one frame."""
    events = []
    for r, c in zip(rows, confidences, strict=True):
        cls = int(r[1])
        events.append({"class": _class_name(cls), "class_index": cls, "x": round(float(r[2]), 3),
                       "y": round(float(r[3]), 3), "z": round(float(r[4]), 3), "confidence": round(float(c), 3)})
    return {"frame": int(index), "time": round(index * LABEL_HOP_S, 3), "events": events}


class EventLinker:
    """Links each frame's rows to the events still open and reports onsets and offsets as they happen."""

    def __init__(self, max_jump_m: float = 1.0) -> None:
        self.max_jump_m = max_jump_m
        self.open: list[dict[str, Any]] = []
        self.next_id = 0

    def update(self, frame: int, rows: np.ndarray, confidences: list[float]) -> list[dict[str, Any]]:
        rows = np.asarray(rows, dtype=float).reshape(-1, 5)
        lines: list[dict[str, Any]] = []
        used = np.zeros(len(rows), dtype=bool)
        still_open = []
        for track in self.open:
            if track["last"] != frame - 1:
                lines.append(self._offset(track))
                continue
            best, best_d = -1, self.max_jump_m
            for i, r in enumerate(rows):
                d = float(np.linalg.norm(r[2:] - track["pos"][-1]))
                if not used[i] and int(r[1]) == track["cls"] and d < best_d:
                    best, best_d = i, d
            if best < 0:
                lines.append(self._offset(track))
                continue
            used[best] = True
            track["last"] = frame
            track["pos"].append(rows[best, 2:])
            track["conf"].append(confidences[best])
            still_open.append(track)
        for i, r in enumerate(rows):
            if not used[i]:
                track = {"id": self.next_id, "cls": int(r[1]), "first": frame, "last": frame, "pos": [r[2:]],
                         "conf": [confidences[i]]}
                self.next_id += 1
                still_open.append(track)
                lines.append({"event": "onset", "id": track["id"], "time": round(frame * LABEL_HOP_S, 3),
                              "class": _class_name(track["cls"]), "class_index": track["cls"],
                              "x": round(float(r[2]), 3), "y": round(float(r[3]), 3), "z": round(float(r[4]), 3),
                              "confidence": round(float(confidences[i]), 3)})
        self.open = still_open
        return lines

    def close(self) -> list[dict[str, Any]]:
        """Offsets of every event still open (end of the input)."""
        lines = [self._offset(t) for t in self.open]
        self.open = []
        return lines

    @staticmethod
    def _offset(track: dict[str, Any]) -> dict[str, Any]:
        pos = np.mean(track["pos"], axis=0)
        return {"event": "offset", "id": track["id"], "onset": round(track["first"] * LABEL_HOP_S, 3),
                "offset": round((track["last"] + 1) * LABEL_HOP_S, 3), "class": _class_name(track["cls"]),
                "class_index": track["cls"], "x": round(float(pos[0]), 3), "y": round(float(pos[1]), 3),
                "z": round(float(pos[2]), 3), "confidence": round(float(np.mean(track["conf"])), 3)}
