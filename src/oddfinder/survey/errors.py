"""The error raised for bad arguments to the survey simulator."""

from __future__ import annotations

from oddfinder.errors import OddfinderError

__all__ = ["SurveyError"]


class SurveyError(OddfinderError, ValueError):
    """A bad survey argument (count, size, workers, kind fractions); one line, names it.

    It is a :class:`ValueError` too, so library callers can catch either.
    """
