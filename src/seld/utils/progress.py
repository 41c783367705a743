"""Progress bars that stay quiet when output is not a terminal or when disabled."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def progress_enabled() -> bool:
    if os.environ.get("SELD_NO_PROGRESS"):
        return False
    return sys.stderr.isatty()


def progress(items: Iterable[T], desc: str = "", total: int | None = None, unit: str = "it",
             enabled: bool | None = None) -> Iterator[T]:
    """Wrap ``items`` in a tqdm bar on interactive terminals."""
    if enabled is None:
        enabled = progress_enabled()
    if not enabled:
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, desc=desc, total=total, unit=unit, leave=False, dynamic_ncols=True)
