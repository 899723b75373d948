"""Errors that carry a one-line, user-facing message naming what went wrong and where."""

__all__ = [
    "ImageError",
    "IngestError",
    "LabelError",
    "OddfinderError",
    "WorkspaceError",
]


class OddfinderError(Exception):
    """Base class: the CLI prints ``str(error)`` on one line and exits with status 2."""


class ImageError(OddfinderError):
    """An image file is missing, unreadable, or of an unsupported format."""


class IngestError(OddfinderError):
    """A manifest, catalogue or embedding file cannot be ingested as given."""


class WorkspaceError(OddfinderError):
    """A workspace is missing, incomplete, or written by an incompatible version."""


class LabelError(OddfinderError):
    """A label is outside 0-5, names an unknown galaxy, or is otherwise invalid."""
