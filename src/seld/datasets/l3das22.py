"""The L3DAS22 Task 2 dataset format: split folders, the official label conversion, the location-sensitive
F-score (2 m) for validation and ``label_<clip>.csv`` submissions."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..constants import CLASSES, LABEL_HOP_S
from ..data import l3das22
from ..data.audio import audio_info
from ..errors import DataError
from ..metrics import Counts, location_sensitive_detection
from .base import ClipLabels, ClipRef, DatasetFormat, Scorer


class LocationSensitiveScorer(Scorer):
    """The official L3DAS22 counts (TP, FP, FN at 2 m) and their precision, recall and F-score."""

    def __init__(self, threshold: float = 2.0) -> None:
        self.threshold = threshold

    def zeros(self) -> np.ndarray:
        return np.zeros(3, dtype=np.float64)

    def counts(self, rows: np.ndarray, reference: np.ndarray, n_frames: int) -> np.ndarray:
        c = location_sensitive_detection(rows, reference, n_frames, threshold=self.threshold)
        return np.array([c.tp, c.fp, c.fn], dtype=np.float64)

    def scores(self, total: np.ndarray) -> dict[str, float]:
        c = Counts(*(int(x) for x in total))
        return {"f_score": c.f_score, "precision": c.precision, "recall": c.recall,
                "tp": float(c.tp), "fp": float(c.fp), "fn": float(c.fn)}


def _ref(clip: l3das22.Clip) -> ClipRef:
    return ClipRef(clip.name, clip.ov, clip)


class L3DAS22Dataset(DatasetFormat):
    name = "l3das22"
    classes = CLASSES

    def training_clips(self, root: str | Path, mics: int, splits: Sequence[int] = ()) -> list[ClipRef]:
        train_dir = l3das22.resolve_split_dir(root, "train")
        clips = l3das22.find_clips(train_dir, mics=mics, require_labels=True)
        if splits:
            clips = [c for c in clips if c.split in set(splits)]
        if not clips:
            raise DataError(f"no training clips of splits {list(splits)}", train_dir)
        return [_ref(c) for c in clips]

    def validation_clips(self, root: str | Path, mics: int, folder: str = "dev") -> list[ClipRef]:
        split_dir = l3das22.resolve_split_dir(root, folder)
        clips = l3das22.find_clips(split_dir, mics=mics, require_labels=True)
        if not clips:
            raise DataError("no clips found (expected data/*_A.wav with labels/label_*.csv)", split_dir)
        return [_ref(c) for c in clips]

    def read_audio(self, clip: ClipRef, mics: int, foa_format: str) -> np.ndarray:
        return l3das22.read_audio(clip.files, mics=mics, foa_format=foa_format)

    def read_labels(self, clip: ClipRef, n_frames: int) -> ClipLabels:
        label = clip.files.label
        if label is None:
            raise DataError("missing label file", clip.files.audio_a)
        events = l3das22.read_label_csv(label)
        active, xyz = l3das22.events_to_slots(events, duration=n_frames * LABEL_HOP_S, path=label)
        return ClipLabels(active, xyz, l3das22.official_to_rows(l3das22.slots_to_official(active, xyz)))

    def prediction_inputs(self, paths: Sequence[str | Path], mics: int) -> list[ClipRef]:
        items: list[ClipRef] = []
        for raw in paths:
            p = Path(raw)
            if p.is_dir():
                clips = l3das22.find_clips(p, mics=mics, require_labels=False)
                items += [_ref(c) for c in clips]
            elif p.is_file():
                stem = p.stem
                name = stem[:-2] if stem.endswith("_A") else stem
                b = p.with_name(f"{name}_B{p.suffix}") if stem.endswith("_A") else None
                if mics == 2 and (b is None or not b.exists()):
                    raise DataError("a two-microphone model needs the matching _B file beside this _A file", p)
                items.append(ClipRef(name, 0, l3das22.Clip(name, -1, 0, 0, p, b if mics == 2 else None, None)))
            else:
                raise DataError("no such file or folder", p)
        return items

    def audio_checks(self, clip: ClipRef, mics: int) -> None:
        for audio in (clip.files.audio_a, clip.files.audio_b if mics == 2 else None):
            if audio is not None:
                audio_info(audio, channels=4)

    def write_predictions(self, out_dir: Path, clip: ClipRef, rows: np.ndarray) -> Path:
        path = out_dir / f"label_{clip.name}.csv"
        l3das22.write_prediction_csv(path, rows)
        return path

    def evaluation_inputs(self, root: str | Path) -> list[Path]:
        return [l3das22.resolve_split_dir(root, "dev")]

    def evaluate(self, pred_dir: Path, root: str | Path) -> dict[str, Any]:
        from ..metrics.analysis import evaluate_folder

        return evaluate_folder(pred_dir, l3das22.resolve_split_dir(root, "dev"), threshold=2.0, matching="official")

    def scorer(self) -> Scorer:
        return LocationSensitiveScorer()
