"""Decision thresholds per label (pure functions over probabilities and 0/1 labels)."""

from __future__ import annotations

import numpy as np

DEFAULT_THRESHOLD = 0.5


def best_f1_threshold(probs: np.ndarray, truth: np.ndarray, fallback: float = DEFAULT_THRESHOLD) -> float:
    """The threshold maximising F1 of one label; ties go to the threshold nearest 0.5. A label with no positive
    keeps `fallback`. The threshold lies midway between the two scores it separates."""
    probs, truth = np.asarray(probs, dtype=np.float64), np.asarray(truth).astype(bool)
    if not truth.any():
        return fallback
    order = np.argsort(-probs, kind="stable")
    sorted_probs, sorted_truth = probs[order], truth[order]
    tp = np.cumsum(sorted_truth)
    predicted = np.arange(1, len(probs) + 1)
    f1 = 2 * tp / (predicted + truth.sum())
    # Only cut between distinct scores.
    distinct = np.r_[sorted_probs[1:] != sorted_probs[:-1], True]
    f1 = np.where(distinct, f1, -1)
    below = np.r_[sorted_probs[1:], 0.0]
    cuts = (sorted_probs + below) / 2
    best = np.flatnonzero(f1 == f1.max())
    choice = best[np.argmin(np.abs(cuts[best] - DEFAULT_THRESHOLD))]
    return float(cuts[choice])


def tune_thresholds(probs: np.ndarray, truth: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Per-label F1-maximising thresholds over rows where the label is annotated (mask=1)."""
    probs, truth = np.asarray(probs), np.asarray(truth)
    mask = np.ones_like(truth) if mask is None else np.asarray(mask)
    return np.array([best_f1_threshold(probs[mask[:, j] > 0, j], truth[mask[:, j] > 0, j])
                     for j in range(truth.shape[1])])
