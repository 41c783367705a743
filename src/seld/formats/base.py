"""The output-format interface: everything that depends on how a network lays out its output.

A format owns the four things that change together when the output layout changes: the training
targets built from the labels, the loss, the decoding of posteriors to prediction rows, and the alignment
of two outputs before they are averaged (overlapping windows of one clip, or an ensemble of models).
Training, inference and the commands ask the format of a model (``get_format(model.output_format)``)
and never compare format names themselves; a new output format is one new module registered in
:mod:`seld.formats`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

Outputs = dict[str, torch.Tensor]
Criterion = Callable[[Outputs, Outputs], Outputs]


class OutputFormat(ABC):
    """Targets, loss, decoding and alignment of one output layout (``sed`` and ``doa`` tensors)."""

    name: ClassVar[str]

    @abstractmethod
    def targets(self, active: np.ndarray, xyz: np.ndarray, path: str | Path | None = None) -> Outputs:
        """Frame targets ``{"sed", "doa"}`` (float32 tensors) of one clip from its slot labels: ``active``
        (T, classes, 3) bool and ``xyz`` (T, classes, 3, 3) metres; ``path`` names the label file in warnings."""

    @abstractmethod
    def criterion(self, doa_mask: bool = True) -> Criterion:
        """The loss: ``(outputs, targets) -> {"l_sed", "l_doa", ...}`` (0-d tensors)."""

    def posteriors(self, raw: Outputs) -> Outputs:
        """The network's raw outputs (any batch shape) as posteriors, float32: SED logits become probabilities."""
        return {"sed": torch.sigmoid(raw["sed"].float()), "doa": raw["doa"].float()}

    @abstractmethod
    def decode(self, post: Outputs, threshold: float | np.ndarray) -> np.ndarray:
        """Prediction rows (K, 5) ``frame, class, x, y, z`` (metres) of one clip's posteriors ``{"sed": probabilities,
        "doa": positions}`` (no batch axis); a class is active where its probability exceeds ``threshold`` (one
        number, or one per class, shape (C,), as calibrated thresholds are)."""

    def transform_targets(self, targets: Outputs, matrices: torch.Tensor) -> Outputs:
        """A batch's targets ``(B, T, ...)`` after the sound field of item ``b`` was turned or mirrored by
        ``matrices[b]`` (B, 3, 3) (FOA spatial augmentation, :mod:`seld.data.foa_augment`): every position
        or direction in the targets is mapped by its item's matrix, activities are unchanged."""
        raise NotImplementedError(f"the {self.name!r} output format does not support FOA spatial augmentation")

    def align(self, reference: Outputs, candidate: Outputs) -> Outputs:
        """``candidate`` rearranged to match ``reference`` frame by frame before averaging (identity unless the
        layout has interchangeable parts, such as tracks)."""
        return candidate

    def ensemble(self, outputs: list[Outputs]) -> Outputs:
        """The average of several posteriors of one clip, each aligned to the first."""
        first = outputs[0]
        total = {k: v.clone() for k, v in first.items()}
        for out in outputs[1:]:
            aligned = self.align(first, out)
            for k in total:
                total[k] += aligned[k]
        return {k: v / len(outputs) for k, v in total.items()}
