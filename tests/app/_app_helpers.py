"""Helpers shared by the AppTest tests: start a session, read the batch and the metrics."""

from __future__ import annotations

__all__ = ["batch_ids", "metric_value", "start"]


def start(at, researcher="ada"):
    """Run the app and enter ``researcher`` as the name."""
    at.run()
    assert not at.exception
    at.text_input(key="researcher_input").set_value(researcher).run()
    assert not at.exception
    return at


def batch_ids(at):
    """Galaxy ids shown on the Label page, in order."""
    return [b.key.split("_")[1] for b in at.button if b.key and b.key.endswith("_0")]


def metric_value(at, label):
    """The value of the first metric whose label starts with ``label``."""
    return next(m.value for m in at.metric if m.label.startswith(label))
