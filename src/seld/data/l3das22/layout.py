"""L3DAS22 Task 2 folder layout: split folders (flat or nested download), clips and their files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...constants import SPLIT_DIRS
from ...errors import DataError
from ..audio import read_wav

_AUDIO_RE = re.compile(r"^split(\d+)_ov(\d+)_(\d+)_([AB])\.wav$")


@dataclass(frozen=True)
class Clip:
    """One L3DAS22 clip: the two microphone recordings and its label file (None when absent)."""

    name: str
    split: int
    ov: int
    number: int
    audio_a: Path
    audio_b: Path | None
    label: Path | None


def resolve_split_dir(root: str | Path, which: str) -> Path:
    """Return the split folder (the one holding ``data/``) for ``which`` in train|dev|test.

    Accepts ``root/L3DAS22_Task2_x/data``, the nested download layout
    ``root/L3DAS22_Task2_x/L3DAS22_Task2_x/data`` and ``root`` being the split folder itself.
    """
    if which not in SPLIT_DIRS:
        raise DataError(f"unknown split {which!r}; expected one of {', '.join(SPLIT_DIRS)}", root)
    root = Path(root)
    name = SPLIT_DIRS[which]
    for cand in (root / name, root / name / name, root):
        if (cand / "data").is_dir():
            if cand == root and root.name in SPLIT_DIRS.values() and root.name != name:
                raise DataError(f"folder is the {root.name} split, not {name}", root)
            return cand
    raise DataError(
        f"no {name}/data folder found (looked for {name}/data, {name}/{name}/data and data/)", root
    )


def _data_dir(split_dir: Path) -> Path:
    for cand in (split_dir / "data", split_dir / split_dir.name / "data"):
        if cand.is_dir():
            return cand
    raise DataError("no data/ folder in the split folder", split_dir)


def find_clips(split_dir: str | Path, mics: int = 1, require_labels: bool = True) -> list[Clip]:
    """List the clips of a split folder, sorted by (split, ov, number).

    Pairs ``*_A.wav`` with ``*_B.wav`` and ``labels/label_*.csv``. ``mics=2`` needs every B file and
    ``require_labels`` every label file; what is missing is reported as a DataError naming the file.
    """
    if mics not in (1, 2):
        raise ValueError(f"mics must be 1 or 2, got {mics}")
    split_dir = Path(split_dir)
    data_dir = _data_dir(split_dir)
    label_dir = data_dir.parent / "labels"
    found: dict[tuple[int, int, int], dict[str, Path]] = {}
    for path in data_dir.iterdir():
        m = _AUDIO_RE.match(path.name)
        if m is None or not path.is_file():
            continue
        key = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
        found.setdefault(key, {})[m.group(4)] = path
    if not found:
        raise DataError("no splitX_ovK_N_A.wav files found", data_dir)
    clips = []
    for key in sorted(found):
        files = found[key]
        split, ov, number = key
        name = f"split{split}_ov{ov}_{number}"
        if "A" not in files:
            raise DataError("mic B file has no matching mic A file", files["B"])
        audio_b = files.get("B")
        if mics == 2 and audio_b is None:
            raise DataError("missing mic B file (needed for mics=2)", data_dir / f"{name}_B.wav")
        label: Path | None = label_dir / f"label_{name}.csv"
        if not label.is_file():
            if require_labels:
                raise DataError("missing label file", label)
            label = None
        clips.append(Clip(name, split, ov, number, files["A"], audio_b, label))
    return clips


def read_audio(clip: Clip, mics: int = 1, foa_format: str = "acn_sn3d") -> np.ndarray:
    """Read a clip as float32 (4*mics, N) ACN/SN3D: mic A's 4 channels, then mic B's for ``mics=2``."""
    if mics not in (1, 2):
        raise ValueError(f"mics must be 1 or 2, got {mics}")
    a = read_wav(clip.audio_a, foa_format=foa_format)
    if mics == 1:
        return a
    if clip.audio_b is None:
        raise DataError(
            "missing mic B file (needed for mics=2)", clip.audio_a.with_name(f"{clip.name}_B.wav")
        )
    b = read_wav(clip.audio_b, foa_format=foa_format)
    if a.shape[1] != b.shape[1]:
        raise DataError(f"mic B has {b.shape[1]} samples but mic A has {a.shape[1]}", clip.audio_b)
    return np.concatenate([a, b], axis=0)
