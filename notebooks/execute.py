"""Execute the notebooks with this interpreter's kernel (nbclient), optionally saving outputs.

    .venv/bin/python notebooks/execute.py [--save] [--timeout 600] NOTEBOOK...

Each notebook runs with ``notebooks/`` as its working directory, on the ``python3`` kernel of
the interpreter running this script (the project's .venv); nothing is registered globally.
Exits non-zero, naming the notebook and cell, if any cell fails.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

__all__ = ["execute"]


def execute(path: str | Path, *, timeout: int = 600, save: bool = False) -> float:
    """Run every cell of the notebook at ``path``; returns the seconds it took."""
    import nbformat
    from nbclient import NotebookClient

    path = Path(path).resolve()
    book = nbformat.read(path, as_version=4)
    client = NotebookClient(
        book,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    if save:
        nbformat.write(book, path)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+")
    parser.add_argument("--save", action="store_true", help="write the outputs into the files")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args()
    for notebook in args.notebooks:
        try:
            seconds = execute(notebook, timeout=args.timeout, save=args.save)
        except Exception as error:  # a failed or timed-out cell, a dead kernel
            print(f"{notebook}: failed: {type(error).__name__}", file=sys.stderr)
            print(error, file=sys.stderr)
            return 1
        print(f"{notebook}: ran in {seconds:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
