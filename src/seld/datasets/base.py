"""The dataset-format interface: what training, prediction and validation need from a dataset on disk.

A dataset format turns its folder layout and label files into clips, the shared slot labels (``active``
(T, C, 3) bool, ``xyz`` (T, C, 3, 3) positions in metres) and a reference for its own validation metric,
and writes predictions in its own submission format. Training and ``seld predict`` ask
``get_dataset(cfg.data.format)``; a new dataset format is one module registered in :mod:`seld.datasets`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np


@dataclass(frozen=True)
class ClipRef:
    """A clip of a dataset: its name (that of its prediction file), polyphony group (0 when unknown) and
    the format's own description of its files."""

    name: str
    ov: int
    files: Any


@dataclass
class ClipLabels:
    """A clip's labels: slot arrays for the targets and the reference of the format's validation metric."""

    active: np.ndarray
    xyz: np.ndarray
    reference: Any


class Scorer(ABC):
    """A validation metric on in-memory prediction rows (K, 5) ``frame, class, x, y, z`` (metres).

    Per clip it returns a vector of counts; vectors are summed over clips (and over DDP ranks) and turned
    into scores once, so that the validation score equals the metric of the whole split.
    """

    @abstractmethod
    def zeros(self) -> np.ndarray:
        """The counts of nothing (what a DDP rank without validation clips contributes)."""

    @abstractmethod
    def counts(self, rows: np.ndarray, reference: Any, n_frames: int) -> np.ndarray:
        """Counts (float64 vector) of one clip."""

    @abstractmethod
    def scores(self, total: np.ndarray) -> dict[str, float]:
        """Scores of summed counts; ``f_score`` (the checkpoint criterion) is always one of them."""

    def class_additive(self) -> np.ndarray:
        """Which count entries are sums of per-class parts (bool mask). Threshold calibration builds the counts of
        per-class thresholds from per-class tables, so ``f_score`` must depend on these entries only."""
        return np.ones_like(self.zeros(), dtype=bool)


class DatasetFormat(ABC):
    """Layout, labels, validation metric and submission files of one dataset format."""

    name: ClassVar[str]
    classes: ClassVar[tuple[str, ...]]

    @abstractmethod
    def training_clips(self, root: str | Path, mics: int, splits: Sequence[int] = ()) -> list[ClipRef]:
        """The labelled training clips under ``root`` (``splits`` narrows them where the format numbers splits)."""

    @abstractmethod
    def validation_clips(self, root: str | Path, mics: int, folder: str = "dev") -> list[ClipRef]:
        """The labelled clips that validate (``folder``: the format's dev/test part, or ``train``)."""

    @abstractmethod
    def read_audio(self, clip: ClipRef, mics: int, foa_format: str) -> np.ndarray:
        """The clip's waveform (4 * mics, N) float32 at 32 kHz in ACN/SN3D."""

    @abstractmethod
    def read_labels(self, clip: ClipRef, n_frames: int) -> ClipLabels:
        """The clip's labels over ``n_frames`` label frames."""

    @abstractmethod
    def prediction_inputs(self, paths: Sequence[str | Path], mics: int) -> list[ClipRef]:
        """Clips to predict from wav files or folders given on the command line, in the order given."""

    @abstractmethod
    def write_predictions(self, out_dir: Path, clip: ClipRef, rows: np.ndarray) -> Path:
        """Write one clip's prediction rows as the format's submission file (atomically); returns its path."""

    @abstractmethod
    def scorer(self) -> Scorer:
        """The format's validation metric."""

    @abstractmethod
    def evaluation_inputs(self, root: str | Path) -> list[Path]:
        """What ``seld predict`` is given to predict the labelled dev/test part of ``root``."""

    @abstractmethod
    def evaluate(self, pred_dir: Path, root: str | Path) -> dict[str, Any]:
        """The format's official metric of the predictions in ``pred_dir`` against the dev/test labels of ``root``
        (a JSON-ready dict with at least ``f_score``)."""

    def audio_checks(self, clip: ClipRef, mics: int) -> None:  # noqa: B027 (optional hook)
        """Header checks of the clip's audio before any prediction is written (default: none)."""
