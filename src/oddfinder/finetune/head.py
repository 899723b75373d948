"""A linear head on the frozen embedding: the cheapest few-label classifier."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["HeadClassifier"]


class HeadClassifier:
    """Logistic regression on centred, scaled embeddings (the encoder stays frozen).

    The centre and the scale come from ``reference``, unlabelled embeddings of the same survey,
    when :meth:`fit` is given them: with a few labels, statistics of the training rows alone are
    noise. The scale is one number for all dimensions (the RMS distance from the centre), so the
    embedding's own geometry is kept; per-dimension standardisation inflates the many
    low-variance directions (README "Few-label fine-tuning" has the measurements).

    Parameters
    ----------
    C : float
        Inverse L2 regularisation strength.

    Attributes
    ----------
    mean_, scale_ : ndarray
        Centre and scale (the same value in every dimension) of the inputs.
    coef_ : ndarray of shape (d,)
    intercept_ : float

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = np.r_[rng.normal(-1, 1, (20, 5)), rng.normal(1, 1, (20, 5))]
    >>> y = np.r_[np.zeros(20), np.ones(20)]
    >>> clf = HeadClassifier().fit(x, y)
    >>> bool(((clf.predict_proba(x)[:, 1] > 0.5) == y).mean() > 0.8)
    True
    """

    mode = "head"

    def __init__(self, *, C: float = 0.1) -> None:
        self.C = C

    def fit(
        self, embeddings: np.ndarray, y: np.ndarray, *, reference: np.ndarray | None = None
    ) -> HeadClassifier:
        """Fit the head to embeddings ``(n, d)`` and 0/1 labels ``(n,)``.

        Parameters
        ----------
        embeddings : array (n, d)
            The training galaxies' embeddings.
        y : array (n,)
            Their 0/1 labels.
        reference : array (m, d), optional
            Embeddings of the survey (labelled or not) that set the centre and the scale;
            default: the training rows.
        """
        from sklearn.linear_model import LogisticRegression

        x = np.asarray(embeddings, dtype=np.float64)
        ref = x if reference is None else np.asarray(reference, dtype=np.float64)
        if ref.ndim != 2 or ref.shape[1] != x.shape[1] or ref.shape[0] == 0:
            raise ValueError(f"reference must be (m, {x.shape[1]}), got {ref.shape}")
        self.mean_ = ref.mean(axis=0)
        rms = float(np.sqrt(((ref - self.mean_) ** 2).sum(axis=1).mean() / x.shape[1]))
        self.scale_ = np.full(x.shape[1], max(rms, 1e-6))
        model = LogisticRegression(C=self.C, max_iter=2000, class_weight="balanced")
        model.fit((x - self.mean_) / self.scale_, np.asarray(y, dtype=np.int64))
        self.coef_ = model.coef_[0].astype(np.float64)
        self.intercept_ = float(model.intercept_[0])
        return self

    def decision_function(self, embeddings: np.ndarray) -> np.ndarray:
        """Log-odds of the positive class."""
        x = (np.asarray(embeddings, dtype=np.float64) - self.mean_) / self.scale_
        return x @ self.coef_ + self.intercept_

    def predict_proba(self, embeddings: np.ndarray) -> np.ndarray:
        """Probabilities ``(n, 2)`` of the negative and positive class."""
        p = 1.0 / (1.0 + np.exp(-self.decision_function(embeddings)))
        return np.c_[1.0 - p, p]

    def to_state(self) -> dict[str, Any]:
        """The fitted head as tensors and plain values (``weights_only``-loadable)."""
        import torch

        return {
            "C": float(self.C),
            "mean": torch.from_numpy(self.mean_),
            "scale": torch.from_numpy(self.scale_),
            "coef": torch.from_numpy(self.coef_),
            "intercept": float(self.intercept_),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> HeadClassifier:
        """Inverse of :meth:`to_state`."""
        clf = cls(C=float(state["C"]))
        clf.mean_ = state["mean"].numpy().astype(np.float64)
        clf.scale_ = state["scale"].numpy().astype(np.float64)
        clf.coef_ = state["coef"].numpy().astype(np.float64)
        clf.intercept_ = float(state["intercept"])
        return clf
