"""Output formats (see :mod:`seld.formats.base`): ``tracks`` (3-track PIT) and ``slots`` (SELDnet)."""

from __future__ import annotations

from ..errors import CheckpointError
from .base import Criterion, OutputFormat, Outputs
from .slots import SlotFormat
from .tracks import TrackFormat

FORMATS: dict[str, OutputFormat] = {f.name: f for f in (TrackFormat(), SlotFormat())}


def get_format(name: str) -> OutputFormat:
    """The output format called ``name`` (what a model's ``output_format`` states)."""
    try:
        return FORMATS[name]
    except KeyError:
        raise CheckpointError(f"unknown output format {name!r}; known: {', '.join(FORMATS)}") from None


__all__ = ["FORMATS", "Criterion", "OutputFormat", "Outputs", "SlotFormat", "TrackFormat", "get_format"]
