"""An exclusive lock on an output folder for the life of a process.

Two ``seld train`` runs started on one ``--out`` a second apart used to die together with tracebacks from
Lightning's CSV logger and leave one folder of mixed files. Each command that writes a folder (train,
synth, predict) now holds ``FOLDER/.seld.lock`` with ``flock``: the kernel drops the lock when its process
ends, however it ends, so a run killed with ``kill -9`` never blocks ``--resume``. The file holds the
holder's pid and command for the refusal message; it is left in place (removing it would let a third
process lock a fresh file while a second still holds the old one).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from ..errors import SeldError

LOCK_NAME = ".seld.lock"

try:
    import fcntl
except ImportError:  # not POSIX (Windows): no lock, as before
    fcntl = None  # type: ignore[assignment]


class FolderBusyError(SeldError):
    """Another process holds the folder's lock."""


@contextlib.contextmanager
def folder_lock(folder: str | Path, what: str) -> Iterator[Path]:
    """Hold ``folder``'s lock while the block runs (creating the folder if needed), or raise
    :class:`FolderBusyError` naming the process that holds it, having changed nothing.

    If the folder did not exist and the block fails while the folder holds nothing but the lock, the
    folder is removed again, so that a bad input leaves no empty output folder behind.
    """
    folder = Path(folder).expanduser()
    if os.environ.get("LOCAL_RANK", "0") != "0" or os.environ.get("NODE_RANK", "0") != "0":
        yield folder  # a DDP worker that Lightning started: rank 0 of the first node holds the lock
        return
    if folder.exists() and not folder.is_dir():
        raise SeldError("output path exists and is not a folder", folder)
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_NAME
    fh = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (held open for the whole block)
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.seek(0)
                holder = " ".join(fh.read().split()) or "unknown"
                raise FolderBusyError(
                    f"in use by another seld process ({holder}); wait for it to end or choose another folder "
                    f"(this {what} changed nothing)", folder
                ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}, seld {what}\n")
        fh.flush()
        try:
            yield folder
        except BaseException:
            if created and folder.is_dir() and [p.name for p in folder.iterdir()] == [LOCK_NAME]:
                shutil.rmtree(folder, ignore_errors=True)
            raise
    finally:
        fh.close()  # closing the descriptor releases the flock


def is_lock_file(path: Path) -> bool:
    """Whether ``path`` is a folder lock (to be ignored when a folder is checked for being empty)."""
    return path.name == LOCK_NAME
