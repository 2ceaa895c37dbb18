"""Which examples go into which batch: length-grouped batches, language temperature, rare-label oversampling.

Pure functions over numpy arrays and a seeded generator, so a resumed run can rebuild the same batch order.
"""

from __future__ import annotations

import numpy as np


def language_weights(languages: list[str], temperature: float) -> np.ndarray:
    """Per-example sampling weights giving language l a total probability proportional to n_l^(1/T)."""
    names, inverse, counts = np.unique(np.asarray(languages), return_inverse=True, return_counts=True)
    del names
    share = counts.astype(np.float64) ** (1.0 / temperature)
    share /= share.sum()
    return share[inverse] / counts[inverse]


def rare_label_weights(labels: np.ndarray, strength: float) -> np.ndarray:
    """Multiply an example's weight by (max label count / count of its rarest positive label)^strength."""
    if strength <= 0:
        return np.ones(len(labels))
    counts = labels.sum(0).astype(np.float64)
    scale = counts.max() / np.maximum(counts, 1)
    factors = np.where(labels > 0, scale[None, :], 1.0).max(axis=1)
    return factors ** strength


def epoch_indices(n_samples: int, weights: np.ndarray | None, rng: np.random.Generator) -> np.ndarray:
    """One epoch of example indices: a permutation, or `n_samples` weighted draws with replacement."""
    if weights is None:
        return rng.permutation(n_samples)
    p = weights / weights.sum()
    return rng.choice(len(p), size=n_samples, replace=True, p=p)


def length_grouped_batches(indices: np.ndarray, lengths: np.ndarray, batch_size: int, rng: np.random.Generator,
                           group_factor: int = 50) -> list[np.ndarray]:
    """Batches of similar-length examples (little padding) in random order: split the shuffled indices into
    groups of `batch_size * group_factor`, sort each group by length, cut it into batches, shuffle the batches."""
    batches = []
    group = batch_size * group_factor
    for start in range(0, len(indices), group):
        chunk = indices[start : start + group]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    order = rng.permutation(len(batches))
    return [batches[i] for i in order]
