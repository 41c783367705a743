"""DCASE SELD folder layout (STARSS23, DCASE 2023-2024 Task 3): splits, clips and their files.

A dataset root holds::

    foa_dev/<split>/<clip>.wav         4 channels, FOA (ACN/SN3D), 24 kHz
    metadata_dev/<split>/<clip>.csv    frame-wise labels (:mod:`.labels`)
    foa_eval/[<subdir>/]<clip>.wav     the evaluation set: audio only

Dev splits are named like ``dev-train-sony`` and ``dev-test-tau``: a split whose name contains ``train`` is a
training split, one whose name contains ``test`` a test split. Audio is read with
:func:`seld.data.audio.read_wav` (checked, resampled 24 kHz -> 32 kHz, FOA convention converted).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...constants import DCASE_SAMPLE_RATE, FOA_CHANNELS
from ...errors import DataError
from ..audio import audio_info, read_wav

AUDIO_DEV = "foa_dev"
LABELS_DEV = "metadata_dev"
AUDIO_EVAL = "foa_eval"
LABELS_EVAL = "metadata_eval"
SPLIT_GROUPS = ("train", "test", "eval")


@dataclass(frozen=True)
class DcaseClip:
    """One DCASE clip: its name (the file stem), split folder name, audio file and label file (None if absent)."""

    name: str
    split: str
    audio: Path
    label: Path | None


def _dataset_dirs(root: Path) -> tuple[Path, Path]:
    """``(foa_dev, metadata_dev)`` of a dataset root; ``root`` may also be the ``foa_dev`` folder itself."""
    if (root / AUDIO_DEV).is_dir():
        return root / AUDIO_DEV, root / LABELS_DEV
    if root.name == AUDIO_DEV and root.is_dir():
        return root, root.parent / LABELS_DEV
    if not root.is_dir():
        raise DataError("dataset folder not found", root)
    raise DataError(f"no {AUDIO_DEV}/ folder (expected {AUDIO_DEV}/<split>/*.wav and {LABELS_DEV}/<split>/*.csv)",
                    root)


def dev_splits(root: str | Path) -> list[str]:
    """Names of the dev split folders under ``<root>/foa_dev`` (sorted)."""
    audio_dir, _ = _dataset_dirs(Path(root).expanduser())
    return sorted(p.name for p in audio_dir.iterdir() if p.is_dir() and not p.name.startswith("."))


def _wavs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() == ".wav" and p.is_file()
                  and not p.name.startswith("."))


def find_clips(
    root: str | Path, splits: str | Sequence[str] | None = None, require_labels: bool = True
) -> list[DcaseClip]:
    """The clips of a DCASE dataset, sorted by (split, name).

    ``splits``: None (every dev split), ``"train"`` (dev splits whose name contains ``train``), ``"test"``
    (those containing ``test``), ``"eval"`` (``foa_eval/``: its wavs or those of its subfolders; labels from
    ``metadata_eval/`` where present, else None) or a list of dev split names. A dev clip without its
    ``metadata_dev/<split>/<clip>.csv`` is a DataError naming the file when ``require_labels``, else its
    label is None.
    """
    root = Path(root).expanduser()
    if isinstance(splits, str) and splits == "eval":
        return _eval_clips(root)
    audio_dir, label_dir = _dataset_dirs(root)
    available = dev_splits(root)
    if splits is None:
        chosen = available
    elif isinstance(splits, str):
        if splits not in ("train", "test"):
            chosen = [splits]
        else:
            chosen = [s for s in available if splits in s]
            if not chosen:
                raise DataError(f"no {splits} split (a folder whose name contains {splits!r}; found: "
                                f"{', '.join(available) or 'none'})", audio_dir)
    else:
        chosen = list(dict.fromkeys(splits))
    missing = [s for s in chosen if s not in available]
    if missing:
        raise DataError(f"no split folder {', '.join(missing)} (found: {', '.join(available) or 'none'})", audio_dir)
    clips: list[DcaseClip] = []
    for split in chosen:
        for wav in _wavs(audio_dir / split):
            label: Path | None = label_dir / split / f"{wav.stem}.csv"
            if not label.is_file():
                if require_labels:
                    raise DataError("missing label file for " + wav.name, label)
                label = None
            clips.append(DcaseClip(wav.stem, split, wav, label))
    if not clips:
        raise DataError(f"no .wav files in split(s) {', '.join(chosen) or 'none'}", audio_dir)
    return clips


def _eval_clips(root: Path) -> list[DcaseClip]:
    audio_dir = root / AUDIO_EVAL
    if not audio_dir.is_dir():
        raise DataError(f"no {AUDIO_EVAL}/ folder", root)
    folders = [audio_dir, *sorted(p for p in audio_dir.iterdir() if p.is_dir() and not p.name.startswith("."))]
    clips = []
    for folder in folders:
        split = "" if folder == audio_dir else folder.name
        for wav in _wavs(folder):
            label: Path | None = root / LABELS_EVAL / split / f"{wav.stem}.csv"
            clips.append(DcaseClip(wav.stem, split, wav, label if label.is_file() else None))
    if not clips:
        raise DataError("no .wav files", audio_dir)
    return sorted(clips, key=lambda c: (c.split, c.name))


def read_audio(clip: DcaseClip, foa_format: str = "acn_sn3d") -> np.ndarray:
    """The clip's audio as float32 (4, N) ACN/SN3D at 32 kHz (DCASE's 24 kHz is resampled without a warning)."""
    return read_wav(clip.audio, channels=FOA_CHANNELS, foa_format=foa_format, native_rate=DCASE_SAMPLE_RATE)


def clip_frames(clip: DcaseClip | str | Path) -> int:
    """Label frames of a clip from its wav header: ``floor(samples / (rate / 10))`` (``samples // 2400`` at
    24 kHz, the official count). The same count as ``samples_at_32kHz // 3200`` after :func:`read_audio`."""
    path = clip.audio if isinstance(clip, DcaseClip) else Path(clip)
    frames, rate = audio_info(path, channels=FOA_CHANNELS)
    return frames * 10 // rate
