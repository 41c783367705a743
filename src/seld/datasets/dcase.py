"""The DCASE SELD dataset format (STARSS23, DCASE 2023-2024 Task 3): ``foa_dev/<split>/`` audio at 24 kHz,
``metadata_dev/<split>/`` frame-wise labels, validation with the official DCASE 2024 frame-level metric
(F20 with relative distance error <= 1, macro) and predictions in the 2024 baseline's CSV format."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

from ..constants import DCASE_CLASSES
from ..data import dcase
from ..data.audio import audio_info
from ..data.dcase_csv import labels_to_cartesian, read_dcase_csv
from ..errors import DataError
from ..metrics.dcase import SeldCounts, compute_scores, frame_counts, organize_labels
from .base import ClipLabels, ClipRef, DatasetFormat, Scorer

NUM_CLASSES = len(DCASE_CLASSES)


def rows_to_labels(rows: np.ndarray) -> dict[int, list[list[float]]]:
    """seld prediction rows ``frame, class, x, y, z`` (positions in metres) as the official loader's cartesian
    labels ``{frame: [[class, track, ux, uy, uz, distance]]}``, tracks numbered per (frame, class)."""
    labels: dict[int, list[list[float]]] = {}
    seen: dict[tuple[int, int], int] = {}
    for f, c, x, y, z in np.asarray(rows, dtype=np.float64).reshape(-1, 5):
        d = float(np.sqrt(x * x + y * y + z * z))
        u = (x / d, y / d, z / d) if d > 0 else (1.0, 0.0, 0.0)
        key = (int(f), int(c))
        seen[key] = seen.get(key, -1) + 1
        labels.setdefault(int(f), []).append([int(c), seen[key], *u, d])
    return labels


class Dcase2024Scorer(Scorer):
    """The official DCASE 2024 frame-level counts; scores are the macro-averaged official metrics."""

    _N_ARRAYS = 10

    def __init__(self, num_classes: int = NUM_CLASSES) -> None:
        self.num_classes = num_classes

    def zeros(self) -> np.ndarray:
        return self._flatten(SeldCounts.zeros(self.num_classes))

    def _flatten(self, c: SeldCounts) -> np.ndarray:
        return np.concatenate([np.atleast_1d(np.asarray(getattr(c, f.name), dtype=np.float64)) for f in fields(c)])

    def _unflatten(self, v: np.ndarray) -> SeldCounts:
        n = self.num_classes
        arrays = [v[i * n : (i + 1) * n] for i in range(self._N_ARRAYS)]
        return SeldCounts(*arrays, *(float(x) for x in v[self._N_ARRAYS * n :]))

    def counts(self, rows: np.ndarray, reference: tuple[Any, int], n_frames: int) -> np.ndarray:
        ref_frames, n_scored = reference
        pred = organize_labels(rows_to_labels(rows), n_scored)
        return self._flatten(frame_counts(pred, ref_frames, self.num_classes))

    def class_additive(self) -> np.ndarray:
        """The per-class arrays add over classes; the trailing S, D, I (the error rate's) mix classes per frame."""
        mask = np.zeros_like(self.zeros(), dtype=bool)
        mask[: self._N_ARRAYS * self.num_classes] = True
        return mask

    def scores(self, total: np.ndarray) -> dict[str, float]:
        values, _ = compute_scores(self._unflatten(total), "dcase2024", "macro")
        return {k: (float("nan") if v is None else float(v)) for k, v in values.items()}


def _ref(clip: dcase.DcaseClip) -> ClipRef:
    return ClipRef(clip.name, 0, clip)


class DcaseDataset(DatasetFormat):
    name = "dcase"
    classes = DCASE_CLASSES

    def training_clips(self, root: str | Path, mics: int, splits: Sequence[int] = ()) -> list[ClipRef]:
        self._one_mic(mics)
        clips = [c for c in dcase.find_clips(root, "train") if c.label is not None]
        if not clips:
            raise DataError("no labelled training clips (expected foa_dev/*train*/ with metadata_dev/*train*/)", root)
        return [_ref(c) for c in clips]

    def validation_clips(self, root: str | Path, mics: int, folder: str = "dev") -> list[ClipRef]:
        self._one_mic(mics)
        clips = [c for c in dcase.find_clips(root, "train" if folder == "train" else "test") if c.label is not None]
        if not clips:
            raise DataError("no labelled test clips (expected foa_dev/*test*/ with metadata_dev/*test*/)", root)
        return [_ref(c) for c in clips]

    @staticmethod
    def _one_mic(mics: int) -> None:
        if mics != 1:
            from ..errors import ConfigError

            raise ConfigError("the DCASE format has one FOA microphone: data.mics must be 1")

    def read_audio(self, clip: ClipRef, mics: int, foa_format: str) -> np.ndarray:
        return dcase.read_audio(clip.files, foa_format=foa_format)

    def read_labels(self, clip: ClipRef, n_frames: int) -> ClipLabels:
        label = clip.files.label
        if label is None:
            raise DataError("missing label file", clip.files.audio)
        active, xyz, _ = dcase.labels_to_slots(dcase.read_label_csv(label), n_frames, path=label)
        ref = read_dcase_csv(label, cm_to_m=True)
        if not ref:
            raise DataError("label file has no rows: the official DCASE metric needs an annotated frame", label)
        n_scored = max(ref)  # the official scorer's N: the last annotated frame index
        if any(len(row) == 4 for rows in ref.values() for row in rows):
            raise DataError("labels without distance: validation uses the DCASE 2024 metric, which needs the "
                            "6-column (distance) metadata", label)
        return ClipLabels(active, xyz, (organize_labels(labels_to_cartesian(ref), n_scored), n_scored))

    def prediction_inputs(self, paths: Sequence[str | Path], mics: int) -> list[ClipRef]:
        self._one_mic(mics)
        items: list[ClipRef] = []
        for raw in paths:
            p = Path(raw)
            if p.is_dir():
                wavs = sorted(q for q in p.rglob("*.wav") if q.is_file())
                if not wavs:
                    raise DataError("no .wav files found", p)
                items += [ClipRef(q.stem, 0, dcase.DcaseClip(q.stem, q.parent.name, q, None)) for q in wavs]
            elif p.is_file():
                items.append(ClipRef(p.stem, 0, dcase.DcaseClip(p.stem, p.parent.name, p, None)))
            else:
                raise DataError("no such file or folder", p)
        return items

    def audio_checks(self, clip: ClipRef, mics: int) -> None:
        audio_info(clip.files.audio, channels=4)

    def write_predictions(self, out_dir: Path, clip: ClipRef, rows: np.ndarray) -> Path:
        path = out_dir / f"{clip.name}.csv"
        dcase.write_prediction_csv(path, rows)
        return path

    def evaluation_inputs(self, root: str | Path) -> list[Path]:
        clips = dcase.find_clips(root, "test")
        if not clips:
            raise DataError("no test clips (expected foa_dev/*test*/)", root)
        return sorted({c.audio.parent for c in clips})

    def evaluate(self, pred_dir: Path, root: str | Path) -> dict[str, Any]:
        from ..metrics.dcase import evaluate_dcase

        refs = sorted({c.label.parent for c in dcase.find_clips(root, "test") if c.label is not None})
        if len(refs) != 1:  # several test splits: their common metadata folder (references without predictions skip)
            refs = [refs[0].parent]
        return evaluate_dcase(pred_dir, refs[0], edition="dcase2024", average="macro").to_json()

    def scorer(self) -> Scorer:
        return Dcase2024Scorer()
