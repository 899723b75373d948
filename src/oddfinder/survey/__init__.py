"""The simulated demo survey: DECaLS-like colour cutouts drawn with GalSim, with ground truth.

Main entry points (imported lazily, so ``oddfinder --help`` stays fast):
:func:`simulate_survey` writes ``images/`` and ``manifest.csv``; :func:`contact_sheet` tiles
examples of every kind into a PNG.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["DEFAULT_FRACTIONS", "KINDS", "contact_sheet", "simulate_survey"]

_LAZY = {
    "simulate_survey": "oddfinder.survey.simulate",
    "contact_sheet": "oddfinder.survey.contact",
    "KINDS": "oddfinder.survey.kinds",
    "DEFAULT_FRACTIONS": "oddfinder.survey.kinds",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
