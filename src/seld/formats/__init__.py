"""Output formats (see :mod:`seld.formats.base`): ``tracks`` (3-track PIT), ``slots`` (SELDnet) and
``multi_accdoa`` (Multi-ACCDOA with ADPIT, the DCASE 2024 baseline's output)."""

from __future__ import annotations

from ..errors import CheckpointError
from .base import Criterion, OutputFormat, Outputs
from .multi_accdoa import MultiAccdoaFormat
from .slots import SlotFormat
from .tracks import TrackFormat

FORMATS: dict[str, OutputFormat] = {f.name: f for f in (TrackFormat(), SlotFormat(), MultiAccdoaFormat())}


def get_format(name: str) -> OutputFormat:
    """The output format called ``name`` (what a model's ``output_format`` states)."""
    try:
        return FORMATS[name]
    except KeyError:
        raise CheckpointError(f"unknown output format {name!r}; known: {', '.join(FORMATS)}") from None


__all__ = [
    "FORMATS",
    "Criterion",
    "MultiAccdoaFormat",
    "OutputFormat",
    "Outputs",
    "SlotFormat",
    "TrackFormat",
    "get_format",
]
