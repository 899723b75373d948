"""The kinds of object in the simulated survey, their default fractions, and their assignment.

Common galaxies make up most of the survey; the rare kinds (rings, mergers, lenses, clumpy
irregulars) are the interesting anomalies; the artefacts are anomalous but boring.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from oddfinder.survey.errors import SurveyError

__all__ = [
    "ARTEFACT_KINDS",
    "COMMON_KINDS",
    "DEFAULT_FRACTIONS",
    "KINDS",
    "RARE_KINDS",
    "assign_kinds",
    "validate_fractions",
]

COMMON_KINDS: tuple[str, ...] = ("elliptical", "bulge_disk", "spiral", "edge_on")
RARE_KINDS: tuple[str, ...] = ("ring", "merger", "lens", "irregular")
ARTEFACT_KINDS: tuple[str, ...] = ("satellite_trail", "bright_star", "truncated")
KINDS: tuple[str, ...] = COMMON_KINDS + RARE_KINDS + ARTEFACT_KINDS

_RARE_EACH = 0.015
_ARTEFACT_EACH = 0.01
_COMMON_SHARES = {"elliptical": 0.30, "bulge_disk": 0.20, "spiral": 0.35, "edge_on": 0.15}
_COMMON_TOTAL = 1.0 - _RARE_EACH * len(RARE_KINDS) - _ARTEFACT_EACH * len(ARTEFACT_KINDS)

DEFAULT_FRACTIONS: dict[str, float] = {
    **{k: _COMMON_TOTAL * _COMMON_SHARES[k] for k in COMMON_KINDS},
    **dict.fromkeys(RARE_KINDS, _RARE_EACH),
    **dict.fromkeys(ARTEFACT_KINDS, _ARTEFACT_EACH),
}


def validate_fractions(kind_fractions: Mapping[str, float] | None) -> dict[str, float]:
    """Check a kind-to-fraction mapping and return it complete (missing kinds get 0).

    ``None`` gives :data:`DEFAULT_FRACTIONS`. Fractions must be finite, non-negative, name only
    known kinds, and sum to 1 within 1e-3.

    Raises
    ------
    SurveyError
        Naming the unknown kind or the bad value.

    Examples
    --------
    >>> validate_fractions({"spiral": 0.5, "merger": 0.5})["elliptical"]
    0.0
    """
    if kind_fractions is None:
        return dict(DEFAULT_FRACTIONS)
    unknown = sorted(set(kind_fractions) - set(KINDS))
    if unknown:
        raise SurveyError(
            f"unknown kind {unknown[0]!r} in kind_fractions; known kinds: {', '.join(KINDS)}"
        )
    fractions = {k: float(kind_fractions.get(k, 0.0)) for k in KINDS}
    for kind, value in fractions.items():
        if not np.isfinite(value) or value < 0:
            raise SurveyError(f"kind_fractions[{kind!r}] = {value} is not a fraction >= 0")
    total = sum(fractions.values())
    if abs(total - 1.0) > 1e-3:
        raise SurveyError(f"kind_fractions sum to {total:.4f}, not 1")
    return fractions


def assign_kinds(n: int, *, seed: int, fractions: Mapping[str, float]) -> list[str]:
    """Give each of ``n`` galaxies a kind: counts match ``fractions`` exactly, order is shuffled.

    Counts are ``n * fraction`` rounded by largest remainder, so a 10,000-galaxy survey with
    1.5% mergers has exactly 150 of them. The order depends only on ``seed`` and ``n``.

    Examples
    --------
    >>> kinds = assign_kinds(200, seed=0, fractions={"spiral": 0.75, "ring": 0.25})
    >>> kinds.count("ring")
    50
    """
    names = [k for k in KINDS if fractions.get(k, 0.0) > 0]
    exact = np.array([n * fractions[k] for k in names])
    counts = np.floor(exact).astype(int)
    remainder = exact - counts
    short = n - int(counts.sum())
    # Largest remainders first; ties broken by the order of KINDS (stable sort).
    for j in np.argsort(-remainder, kind="stable")[:short]:
        counts[j] += 1
    kinds = np.repeat(np.array(names, dtype=object), counts)
    rng = np.random.default_rng(np.random.SeedSequence([seed, n, 0x4B494E44]))
    return [str(k) for k in rng.permutation(kinds)]
