"""Dataset formats (see :mod:`seld.datasets.base`): ``l3das22`` and ``dcase``."""

from __future__ import annotations

from ..errors import ConfigError
from .base import ClipLabels, ClipRef, DatasetFormat, Scorer
from .dcase import DcaseDataset
from .l3das22 import L3DAS22Dataset

DATASETS: dict[str, DatasetFormat] = {d.name: d for d in (L3DAS22Dataset(), DcaseDataset())}


def get_dataset(name: str) -> DatasetFormat:
    """The dataset format called ``name`` (``data.format``)."""
    try:
        return DATASETS[name]
    except KeyError:
        raise ConfigError(f"unknown dataset format {name!r}; known: {', '.join(DATASETS)}") from None


__all__ = ["DATASETS", "ClipLabels", "ClipRef", "DatasetFormat", "Scorer", "get_dataset"]
