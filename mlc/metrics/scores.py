"""Multi-label and single-label metrics (pure functions over 0/1 arrays and probabilities).

Every multi-label metric honours an annotation mask: a cell (row, label) with mask 0 is a label the row's language
was not annotated with (BRIGHTER's English has no `disgust`), and it counts neither as a miss nor as an error. A
language's macro average is over the labels annotated in that language, as BRIGHTER defines it. Ill-defined values
(ROC-AUC of a label with one class present) are None and left out of averages, with a note saying so.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    confusion_matrix,
    f1_score,
    matthews_corrcoef,
    roc_auc_score,
)


def _counts(truth: np.ndarray, pred: np.ndarray, weights: np.ndarray | None = None
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(tp, fp, fn) per label; `weights` repeats rows (bootstrap)."""
    w = np.ones(len(truth)) if weights is None else weights
    tp = w @ (truth * pred)
    fp = w @ ((1 - truth) * pred)
    fn = w @ (truth * (1 - pred))
    return tp, fp, fn


def _ratio(num: np.ndarray | float, den: np.ndarray | float) -> np.ndarray:
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def _prf(tp, fp, fn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall and F1; 0 where undefined (sklearn's zero_division=0, as the shared-task scorers use)."""
    return _ratio(tp, tp + fp), _ratio(tp, tp + fn), _ratio(2 * tp, 2 * tp + fp + fn)


def _masked(truth: np.ndarray, pred: np.ndarray, mask: np.ndarray | None):
    truth, pred = np.asarray(truth, dtype=float), np.asarray(pred, dtype=float)
    mask = np.ones_like(truth) if mask is None else np.asarray(mask, dtype=float)
    return truth * mask, pred * mask, mask


def f1_scores(truth: np.ndarray, pred: np.ndarray, mask: np.ndarray | None = None,
              weights: np.ndarray | None = None) -> tuple[float, float]:
    """(macro-F1 over the labels annotated in any row, micro-F1)."""
    truth, pred, mask = _masked(truth, pred, mask)
    tp, fp, fn = _counts(truth, pred, weights)
    annotated = mask.any(0)
    macro = float(_prf(tp, fp, fn)[2][annotated].mean()) if annotated.any() else 0.0
    micro = float(_prf(tp.sum(), fp.sum(), fn.sum())[2])
    return macro, micro


def per_label_f1(truth: np.ndarray, pred: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """F1 of each label over the rows annotated with it (0 where undefined)."""
    truth, pred, _ = _masked(truth, pred, mask)
    return _prf(*_counts(truth, pred))[2]


def language_f1(pred: np.ndarray, truth: np.ndarray, languages: list[str], masks: dict[str, list[int]],
                probs: np.ndarray | None = None) -> dict[str, dict[str, float]]:
    """Macro- and micro-F1 per language (macro over that language's annotated labels), plus `all`: the mean of
    the per-language macro-F1s and the pooled micro-F1. With `probs`, also `macro_ap`: the mean average precision
    over the language's annotated labels that have a positive row (threshold-free, so it shows progress while
    every score is still under the threshold), and its mean over languages in `all`."""
    languages_arr = np.asarray(languages)
    row_masks = np.array([masks[language] for language in languages])
    out: dict[str, dict[str, float]] = {}
    for language in sorted(set(languages)):
        rows = languages_arr == language
        macro, micro = f1_scores(truth[rows], pred[rows], row_masks[rows])
        out[language] = {"macro_f1": macro, "micro_f1": micro, "rows": int(rows.sum())}
        if probs is not None:
            out[language]["macro_ap"] = macro_ap(truth[rows], probs[rows], row_masks[rows])
    out["all"] = {"macro_f1": float(np.mean([v["macro_f1"] for v in out.values()])),
                  "micro_f1": f1_scores(truth, pred, row_masks)[1], "rows": len(languages)}
    if probs is not None:
        aps = [v["macro_ap"] for k, v in out.items() if k != "all" and v["macro_ap"] is not None]
        out["all"]["macro_ap"] = float(np.mean(aps)) if aps else None
    return out


def macro_ap(truth: np.ndarray, probs: np.ndarray, mask: np.ndarray) -> float | None:
    """Mean average precision over the labels annotated (mask) and present (a positive row); None if none is."""
    scores = [average_precision_score(truth[:, j], probs[:, j]) for j in range(truth.shape[1])
              if mask[:, j].all() and truth[:, j].any()]
    return float(np.mean(scores)) if scores else None


def _sample_scores(truth: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Example-based precision, recall, F1 and Jaccard. A row with no true and no predicted label scores 1 (a
    correct empty prediction); one side empty and the other not scores 0. None for a subset without rows."""
    if len(truth) == 0:
        return dict.fromkeys(("samples_precision", "samples_recall", "samples_f1", "samples_jaccard"))
    tp = (truth * pred).sum(1)
    n_true, n_pred = truth.sum(1), pred.sum(1)
    both_empty = (n_true == 0) & (n_pred == 0)
    precision = np.where(n_pred > 0, _ratio(tp, n_pred), both_empty)
    recall = np.where(n_true > 0, _ratio(tp, n_true), both_empty)
    f1 = np.where(both_empty, 1.0, _ratio(2 * tp, n_true + n_pred))
    jaccard = np.where(both_empty, 1.0, _ratio(tp, n_true + n_pred - tp))
    return {"samples_precision": float(precision.mean()), "samples_recall": float(recall.mean()),
            "samples_f1": float(f1.mean()), "samples_jaccard": float(jaccard.mean())}


def uniform_thresholds(thresholds: np.ndarray) -> np.ndarray:
    """Per-label thresholds from [labels] or per-row [rows, labels] ones (per-language thresholds): NaN for a label
    whose threshold differs between rows."""
    thresholds = np.asarray(thresholds, dtype=float)
    if thresholds.ndim == 1 or not len(thresholds):
        return thresholds.reshape(-1) if thresholds.ndim == 1 else np.full(thresholds.shape[1], np.nan)
    return np.where((thresholds == thresholds[:1]).all(0), thresholds[0], np.nan)


def multilabel_metrics(truth: np.ndarray, pred: np.ndarray, probs: np.ndarray, labels: list[str],
                       mask: np.ndarray | None = None, thresholds: np.ndarray | None = None) -> dict[str, Any]:
    """Summary and per-label metrics of one subset. Labels never annotated in the subset are left out.
    `thresholds` (reported, not applied): [labels], or [rows, labels] where they vary by row."""
    truth, pred, mask = _masked(truth, pred, mask)
    thresholds = None if thresholds is None else uniform_thresholds(thresholds)
    probs = np.asarray(probs, dtype=float)
    annotated = mask.any(0)
    tp, fp, fn = _counts(truth, pred)
    precision, recall, f1 = _prf(tp, fp, fn)
    support = truth.sum(0)
    notes: list[str] = []
    per_label: dict[str, dict[str, Any]] = {}
    for j, label in enumerate(labels):
        if not annotated[j]:
            continue
        rows = mask[:, j] > 0
        t, p = truth[rows, j], probs[rows, j]
        single_class = t.min() == t.max()
        per_label[label] = {
            "precision": float(precision[j]), "recall": float(recall[j]), "f1": float(f1[j]),
            "support": int(support[j]), "rows": int(rows.sum()),
            "roc_auc": None if single_class else float(roc_auc_score(t, p)),
            "average_precision": None if t.max() == 0 else float(average_precision_score(t, p)),
            "threshold": None if thresholds is None or np.isnan(thresholds[j]) else float(thresholds[j]),
        }
    undefined = [label for label, m in per_label.items() if m["roc_auc"] is None]
    if undefined:
        notes.append(f"ROC-AUC is n/a for {', '.join(undefined)} (only one class present); left out of the "
                     "macro ROC-AUC")
    cols = np.flatnonzero(annotated)
    weights = support[cols] / support[cols].sum() if support[cols].sum() else np.zeros(len(cols))
    cells = mask > 0
    flat_truth = truth[cells]
    aucs = [m["roc_auc"] for m in per_label.values() if m["roc_auc"] is not None]
    summary = {
        "rows": len(truth), "labels": len(cols),
        "micro_precision": float(_prf(tp.sum(), fp.sum(), fn.sum())[0]),
        "micro_recall": float(_prf(tp.sum(), fp.sum(), fn.sum())[1]),
        "micro_f1": float(_prf(tp.sum(), fp.sum(), fn.sum())[2]),
        "macro_precision": float(precision[cols].mean()) if len(cols) else 0.0,
        "macro_recall": float(recall[cols].mean()) if len(cols) else 0.0,
        "macro_f1": float(f1[cols].mean()) if len(cols) else 0.0,
        "weighted_precision": float(precision[cols] @ weights),
        "weighted_recall": float(recall[cols] @ weights),
        "weighted_f1": float(f1[cols] @ weights),
        **_sample_scores(truth[:, cols], pred[:, cols]),
        "subset_accuracy": float((truth[:, cols] == pred[:, cols]).all(1).mean()) if len(truth) else 0.0,
        "hamming_loss": float((truth != pred)[cells].mean()) if cells.any() else 0.0,
        "true_cardinality": float(truth[:, cols].sum(1).mean()) if len(truth) else 0.0,
        "predicted_cardinality": float(pred[:, cols].sum(1).mean()) if len(truth) else 0.0,
        "macro_roc_auc": float(np.mean(aucs)) if aucs else None,
        "micro_roc_auc": float(roc_auc_score(flat_truth, probs[cells])) if 0 < flat_truth.sum() < len(flat_truth)
        else None,
    }
    return {"summary": summary, "per_label": per_label, "notes": notes}


def bootstrap_weights(n: int, rounds: int, seed: int = 0) -> Iterator[np.ndarray]:
    """Row weights of `rounds` bootstrap resamples of n rows: how often each row was drawn (for `weights=`)."""
    rng = np.random.default_rng(seed)
    for _ in range(rounds):
        yield np.bincount(rng.integers(0, n, n), minlength=n).astype(float)


def bootstrap_f1(truth: np.ndarray, pred: np.ndarray, mask: np.ndarray | None = None, rounds: int = 1000,
                 seed: int = 0, level: float = 0.95) -> dict[str, list[float]]:
    """Percentile bootstrap intervals (resampling rows) of macro- and micro-F1."""
    truth, pred, mask = _masked(truth, pred, mask)
    draws = np.array([f1_scores(truth, pred, mask, weights) for weights in bootstrap_weights(len(truth), rounds, seed)])
    low, high = 100 * (1 - level) / 2, 100 * (1 + level) / 2
    return {"macro_f1": np.percentile(draws[:, 0], [low, high]).tolist(),
            "micro_f1": np.percentile(draws[:, 1], [low, high]).tolist(), "rounds": rounds, "level": level}


def single_label_metrics(truth: np.ndarray, probs: np.ndarray, labels: list[str]) -> dict[str, Any]:
    """Accuracy, macro-F1, MCC and the confusion matrix (rows: true, columns: predicted) of arg-max decisions."""
    y_true, y_pred = np.asarray(truth).argmax(1), np.asarray(probs).argmax(1)
    ids = list(range(len(labels)))
    return {"accuracy": float(accuracy_score(y_true, y_pred)),
            "macro_f1": float(f1_score(y_true, y_pred, labels=ids, average="macro", zero_division=0)),
            "mcc": float(matthews_corrcoef(y_true, y_pred)),
            "confusion_matrix": {"labels": labels,
                                 "matrix": confusion_matrix(y_true, y_pred, labels=ids).tolist()}}
