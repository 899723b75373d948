"""``oddfinder simulate``: draw the simulated demo survey."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["register"]

_DESCRIPTION = """\
Draw a simulated DECaLS-like survey of N galaxies into OUT: OUT/images/simNNNNNN.jpg (g, r, z
colour cutouts made with GalSim PSFs, sky noise and field neighbours) and OUT/manifest.csv with
the kind and Galaxy-Zoo-style ground truth of every galaxy. Common kinds: elliptical,
bulge_disk, spiral, edge_on; rare: ring, merger, lens, irregular; artefacts: satellite_trail,
bright_star, truncated. The same --seed gives the same files, whatever --workers."""


def _fractions(text: str) -> dict[str, float]:
    """Parse ``kind=fraction,kind=fraction`` into a dict."""
    from oddfinder.survey.errors import SurveyError

    fractions = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        kind, sep, value = part.partition("=")
        try:
            if not sep:
                raise ValueError
            fractions[kind.strip()] = float(value)
        except ValueError:
            raise SurveyError(f"--fractions: expected KIND=FRACTION, got {part!r}") from None
    return fractions


def _run(args: argparse.Namespace) -> int:
    import logging

    from oddfinder.survey.contact import contact_sheet
    from oddfinder.survey.simulate import simulate_survey

    log = logging.getLogger("oddfinder.survey")
    if args.embeddings_only:
        from oddfinder.survey.synthetic_embeddings import synthetic_workspace

        ws = synthetic_workspace(args.out, args.n, seed=args.seed)
        log.info(
            "%s: %d galaxies, embeddings %s, features %s (synthetic, no images)",
            ws.path,
            ws.n,
            ws.embeddings().shape,
            ws.features().shape,
        )
        return 0
    fractions = _fractions(args.fractions) if args.fractions else None
    table = simulate_survey(
        args.out,
        args.n,
        seed=args.seed,
        size=args.size,
        workers=args.workers,
        kind_fractions=fractions,
        progress=None,
    )
    counts = table["kind"].value_counts()
    log.info("kinds: %s", ", ".join(f"{k} {counts[k]}" for k in counts.index))
    if args.contact_sheet is not None:
        contact_sheet(args.out, args.contact_sheet, per_kind=args.per_kind)
        log.info("wrote contact sheet %s", args.contact_sheet)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``simulate`` subcommand."""
    parser = subparsers.add_parser(
        "simulate", help="draw a simulated demo survey with ground truth", description=_DESCRIPTION
    )
    parser.add_argument("out", metavar="OUT", type=Path, help="output folder")
    parser.add_argument("-n", type=int, required=True, help="number of galaxies")
    parser.add_argument("--seed", type=int, default=0, help="survey seed (0)")
    parser.add_argument("--size", type=int, default=128, help="cutout side in pixels (128)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (2)")
    parser.add_argument(
        "--fractions",
        metavar="KIND=F,...",
        help="fraction of each kind, summing to 1 (default: ~1.5%% each rare kind, ~1%% each "
        "artefact, the rest common)",
    )
    parser.add_argument(
        "--contact-sheet", metavar="PNG", type=Path, help="also write examples of each kind here"
    )
    parser.add_argument("--per-kind", type=int, default=8, help="examples per kind in the sheet")
    parser.add_argument(
        "--embeddings-only",
        action="store_true",
        help="write a ready workspace of synthetic 512-d embeddings, 40-d features, prior and "
        "a random-projection map instead (no images; for scale tests)",
    )
    parser.set_defaults(func=_run)
