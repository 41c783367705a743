"""User-facing errors: the CLI prints these as one line, without a traceback."""

from __future__ import annotations

from pathlib import Path


class SeldError(Exception):
    """An error caused by the user's input (a file, a config, an argument), reported as one line."""

    def __init__(self, message: str, path: str | Path | None = None) -> None:
        self.path = None if path is None else str(path)
        super().__init__(f"{self.path}: {message}" if self.path else message)


class DataError(SeldError):
    """A dataset file (audio, label CSV, prediction CSV) is missing or malformed."""


class ConfigError(SeldError):
    """A configuration file or override is invalid."""


class CheckpointError(SeldError):
    """A checkpoint cannot be loaded (wrong model, not a checkpoint, or unsafe content)."""
