"""The durable label store: one label set per researcher, every label saved when given."""

from __future__ import annotations

from oddfinder.labels.store import LabelStore

__all__ = ["LabelStore"]
