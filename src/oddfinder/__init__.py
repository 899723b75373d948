"""oddfinder: find the galaxies you find interesting in a survey, with a few hundred labels."""

__all__ = ["__version__"]

__version__ = "0.1.0"
