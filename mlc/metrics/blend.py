"""Per-language blend weights: how much of the n-gram model's score each language's rows take. The encoder and the
n-gram model win in different languages (docs/benchmarks.md), so one weight for all leaves points behind; a weight
chosen on a language's own held-out rows alone overfits a small language. Each language's weight is therefore its
own best weight pulled towards the pooled best by rows / (rows + shrinkage)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from mlc.metrics.scores import macro_ap

GRID = tuple(round(0.1 * i, 1) for i in range(11))


def language_weights(blend: Callable[[Any], np.ndarray], truth: np.ndarray, mask: np.ndarray,
                     languages: Sequence[str], shrinkage: float = 100.0, grid: Sequence[Any] = GRID
                     ) -> tuple[Any, dict[str, Any]]:
    """(the pooled weight, {language: weight}). `blend(w)` gives the held-out rows' scores at weight w, a number
    or (with a grid of tuples, e.g. points of a simplex for several members) a tuple. A weight's quality in a
    language is its macro average precision there (threshold-free, so the thresholds tuned afterwards are not chosen
    twice); the pooled weight maximises its mean over languages."""
    languages = np.asarray(languages)
    order = sorted(set(languages.tolist()))
    rows = {lang: languages == lang for lang in order}
    quality = np.full((len(grid), len(order)), np.nan)
    for i, weight in enumerate(grid):
        probs = blend(weight)
        for k, lang in enumerate(order):
            found = macro_ap(truth[rows[lang]], probs[rows[lang]], mask[rows[lang]])
            quality[i, k] = np.nan if found is None else found
    scored = ~np.isnan(quality).all(axis=0)
    pooled = np.asarray(grid[int(np.argmax(quality[:, scored].mean(axis=1))) if scored.any() else 0], float)
    weights = {}
    for k, lang in enumerate(order):
        own = np.asarray(grid[int(np.nanargmax(quality[:, k]))], float) if scored[k] else pooled
        n = int(rows[lang].sum())
        weights[lang] = _plain(np.round((n * own + shrinkage * pooled) / (n + shrinkage), 4))
    return _plain(pooled), weights


def _plain(weight: np.ndarray) -> Any:
    return float(weight) if weight.ndim == 0 else tuple(float(w) for w in weight)
