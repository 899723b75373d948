"""Interest model (GP), acquisition, baselines and the ranking session."""

from oddfinder.rank.gp import GPInterest
from oddfinder.rank.session import METHODS, RankingSession, make_ranker

__all__ = ["METHODS", "GPInterest", "RankingSession", "make_ranker"]
