"""Atomic writes: write to a temporary name beside the target, then rename over it.

A reader never sees a half-written file, and a crash leaves the old file (or none) in place.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["atomic_path", "write_json", "write_npy", "write_parquet"]


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, *, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(d / "a.txt") as tmp:
    ...     _ = tmp.write_text("hello")
    >>> (d / "a.txt").read_text()
    'hello'
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=suffix or ".tmp", dir=target.parent
    )
    os.close(fd)
    tmp = Path(name)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual mode
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


@functools.cache
def _umask() -> int:
    """The process umask, read once (reading it means setting it, which is not thread-safe)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_json(target: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as indented JSON, atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def write_npy(target: str | os.PathLike, array: np.ndarray) -> None:
    """Write ``array`` as a ``.npy`` file, atomically."""
    with atomic_path(target, suffix=".npy") as tmp:
        np.save(tmp, np.ascontiguousarray(array))


def write_parquet(target: str | os.PathLike, table: pd.DataFrame) -> None:
    """Write ``table`` as Parquet (no index), atomically."""
    with atomic_path(target, suffix=".parquet") as tmp:
        table.to_parquet(tmp, index=False)
