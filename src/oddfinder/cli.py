"""The ``oddfinder`` command: a thin argparse layer over the library.

Each pipeline stage keeps its subcommands in its own ``commands.py`` with a
``register(subparsers)`` function; this module only collects them. Errors that the user can
fix (:class:`~oddfinder.errors.OddfinderError`) are printed on one line, exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from oddfinder import __version__
from oddfinder.errors import OddfinderError

__all__ = ["build_parser", "main"]

# Modules with a ``register(subparsers)`` function, in the order of the pipeline.
_COMMAND_MODULES = (
    "oddfinder.survey.commands",
    "oddfinder.io.commands",
    "oddfinder.embed.commands",
    "oddfinder.demo",
    "oddfinder.score.commands",
    "oddfinder.rank.commands",
    "oddfinder.evaluate.commands",
    "oddfinder.map.commands",
    "oddfinder.finetune.commands",
    "oddfinder.app_command",
)

logger = logging.getLogger("oddfinder")


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="oddfinder",
        description="Find the galaxies you find interesting, with a few hundred labels.",
    )
    parser.add_argument("--version", action="version", version=f"oddfinder {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``oddfinder`` command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        status = args.func(args)
    except OddfinderError as error:
        print(f"oddfinder {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"oddfinder {args.command}: interrupted", file=sys.stderr)
        return 130
    return int(status or 0)


if __name__ == "__main__":
    sys.exit(main())
