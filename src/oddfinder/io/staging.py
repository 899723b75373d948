"""Build a whole workspace folder beside its target, then rename it into place.

A failed or interrupted build leaves nothing behind: neither a half-written workspace nor the
temporary folder. Replacing an existing workspace (``force=True``) renames the old one away,
renames the new one in, and only then deletes the old one.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from oddfinder.errors import WorkspaceError

__all__ = ["check_target", "staged_workspace", "utc_now"]

logger = logging.getLogger(__name__)


def utc_now() -> str:
    """The current UTC time, ISO 8601, to the second (for ``workspace.json``)."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def _is_empty_dir(path: Path) -> bool:
    return path.is_dir() and not any(path.iterdir())


def check_target(out: str | os.PathLike, *, force: bool = False) -> Path:
    """Check that a workspace may be written at ``out``; return it as an absolute path.

    ``out`` may be absent or an empty folder; an existing workspace only with ``force``.
    Anything else (a file, a folder that is not a workspace) is never replaced.

    Raises
    ------
    WorkspaceError
        If ``out`` exists and may not be replaced.
    """
    out = Path(out).expanduser().absolute()
    if not out.exists() and not out.is_symlink():
        return out
    if _is_empty_dir(out):
        return out
    if out.is_dir() and (out / "workspace.json").is_file():
        if force:
            return out
        raise WorkspaceError(f"workspace already exists: {out} (use --force to replace it)")
    raise WorkspaceError(f"{out} exists and is not an oddfinder workspace; refusing to replace it")


@contextlib.contextmanager
def staged_workspace(out: str | os.PathLike, *, force: bool = False) -> Iterator[Path]:
    """Yield a fresh temporary folder beside ``out``; on success it becomes ``out``.

    Parameters
    ----------
    out : path-like
        Where the finished workspace goes.
    force : bool
        Replace an existing workspace at ``out``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> with staged_workspace(root / "ws") as tmp:
    ...     _ = (tmp / "workspace.json").write_text("{}")
    >>> sorted(p.name for p in root.iterdir())
    ['ws']
    """
    out = check_target(out, force=force)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        yield tmp
        out = check_target(out, force=force)  # it may have appeared meanwhile
        if out.exists() and not _is_empty_dir(out):
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.replace(out, old / "ws")
            try:
                os.replace(tmp, out)
            except BaseException:
                os.replace(old / "ws", out)
                raise
            shutil.rmtree(old, ignore_errors=True)
            logger.info("replaced the workspace at %s", out)
        else:
            if out.exists():
                out.rmdir()
            os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
