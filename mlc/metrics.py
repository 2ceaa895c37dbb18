"""Multi-label metrics per language over the labels annotated in each language (pure functions)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score


def language_f1(pred: np.ndarray, truth: np.ndarray, languages: list[str], masks: dict[str, list[int]]
                ) -> dict[str, dict[str, float]]:
    """Macro- and micro-F1 per language (macro over that language's annotated labels, as BRIGHTER defines it),
    plus `all`: the mean of the per-language macro-F1s and the pooled micro-F1."""
    languages_arr = np.asarray(languages)
    annotated = np.array([masks[language] for language in languages])
    pred, truth = pred * annotated, truth * annotated
    out: dict[str, dict[str, float]] = {}
    for language in sorted(set(languages)):
        rows = languages_arr == language
        cols = np.flatnonzero(np.asarray(masks[language]) > 0)
        p, t = pred[rows][:, cols], truth[rows][:, cols]
        out[language] = {
            "macro_f1": float(f1_score(t, p, average="macro", zero_division=0)),
            "micro_f1": float(f1_score(t, p, average="micro", zero_division=0)),
            "rows": int(rows.sum()),
        }
    out["all"] = {
        "macro_f1": float(np.mean([v["macro_f1"] for v in out.values()])),
        "micro_f1": float(f1_score(truth, pred, average="micro", zero_division=0)),
        "rows": len(languages),
    }
    return out
