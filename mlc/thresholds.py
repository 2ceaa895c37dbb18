"""Decision thresholds per label (pure functions over probabilities and 0/1 labels)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ConfigError, DataError, FileAccessError

DEFAULT_THRESHOLD = 0.5


class InvalidThreshold(ValueError):
    """A threshold that is not a finite number in [0, 1]; the message names it and says what it was."""


def check_threshold(value: Any, what: str = "threshold") -> float:
    """`value` as a float when it is a finite number in [0, 1] (a probability cut-off); else InvalidThreshold.
    Strings, booleans and None are refused: a threshold of True or "0.5" in a JSON file is a mistake to report."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InvalidThreshold(f"{what} must be a number in [0, 1], got {value!r}")
    number = float(value)
    if not np.isfinite(number) or not 0.0 <= number <= 1.0:
        raise InvalidThreshold(f"{what} must be a number in [0, 1], got {value!r}")
    return number


def check_threshold_array(values: Any, what: str = "thresholds") -> np.ndarray:
    """An array of thresholds, each checked as `check_threshold` does."""
    if np.asarray(values).dtype == bool:
        raise InvalidThreshold(f"{what} must be numbers in [0, 1], not true/false")
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InvalidThreshold(f"{what} must be numbers in [0, 1], got {values!r}"[:300]) from None
    bad = ~np.isfinite(array) | (array < 0) | (array > 1)
    if bad.any():
        raise InvalidThreshold(f"{what} must be numbers in [0, 1], got {array[bad].ravel()[0]!r}")
    return array


def parse_thresholds_option(spec: str) -> Any:
    """--thresholds as given: None for 'bundle', one number checked to lie in [0, 1], or the payload of a JSON file
    (its values are checked against the bundle's labels by `Classifier.resolve_thresholds`). Called before the model
    is loaded, so that a bad value costs no scoring."""
    if spec == "bundle":
        return None
    try:
        number = float(spec)
    except ValueError:
        return read_thresholds_file(spec)
    try:
        return check_threshold(number, "--thresholds")
    except InvalidThreshold as err:
        raise ConfigError(str(err)) from None


def read_thresholds_file(spec: str) -> Any:
    """The thresholds in a JSON file: its `per_label` object (the bundle's format), or the whole payload."""
    path = Path(spec)
    if not path.is_file():
        raise ConfigError(f"--thresholds {spec}: not 'bundle', a number in [0, 1], or an existing JSON file")
    try:
        payload = json.loads(path.read_text("utf-8"))
    except OSError as error:
        raise FileAccessError(error, "cannot read") from None
    except UnicodeDecodeError as error:
        raise DataError(f"not UTF-8 text ({error.reason})", path=str(path)) from None
    except json.JSONDecodeError as error:
        raise DataError(f"invalid JSON ({error.msg})", path=str(path), line=error.lineno) from None
    if isinstance(payload, dict) and isinstance(payload.get("per_label"), dict):
        payload = payload["per_label"]
    if payload is None or isinstance(payload, str):
        raise DataError(f"holds {json.dumps(payload)}, not thresholds", path=str(path),
                        hint='write {"label": 0.4, ...}, a list with one number per label, or one number')
    return payload
# Positives at which a label's own threshold and the global one weigh equally (see shrunk_thresholds).
SHRINK_STRENGTH = 30.0
# The same for a label's threshold within one language against its threshold shared by all languages (see
# language_label_thresholds); 5 to 20 measured alike on BRIGHTER (benchmarks/RESULTS.md, section ngram_blend).
LANGUAGE_SHRINK_STRENGTH = 10.0


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


def _cuts(probs: np.ndarray, limit: int = 512) -> np.ndarray:
    """Candidate thresholds: midpoints between distinct scores (at most `limit`, by quantile)."""
    values = np.unique(probs)
    if len(values) > limit:
        values = np.unique(np.quantile(values, np.linspace(0, 1, limit)))
    return np.r_[(values[:-1] + values[1:]) / 2, values[-1] + 1e-6] if len(values) > 1 else values


def target_threshold(probs: np.ndarray, truth: np.ndarray, metric: str, target: float,
                     fallback: float = DEFAULT_THRESHOLD) -> float | None:
    """The lowest threshold whose precision reaches `target` (the most recall at that precision), or the highest
    whose recall reaches it (the most precision at that recall). None when no threshold reaches it."""
    probs, truth = np.asarray(probs, dtype=float), np.asarray(truth).astype(bool)
    if not truth.any():
        return fallback
    cuts = _cuts(probs)
    decided = probs[None, :] >= cuts[:, None]
    tp = (decided & truth).sum(1)
    if metric == "precision":
        ok = np.flatnonzero((tp > 0) & (tp >= target * decided.sum(1)))
        return float(cuts[ok.min()]) if len(ok) else None
    ok = np.flatnonzero(tp >= target * truth.sum())
    return float(cuts[ok.max()]) if len(ok) else None


def language_macro_threshold(probs: np.ndarray, truth: np.ndarray, languages: np.ndarray,
                             fallback: float = DEFAULT_THRESHOLD) -> float:
    """The threshold maximising the sum over languages of this label's F1 within each language: a language's
    macro-F1 is a mean of per-label F1s, so maximising each label's term maximises the mean over languages."""
    probs, truth = np.asarray(probs, dtype=float), np.asarray(truth).astype(bool)
    if not truth.any():
        return fallback
    cuts = _cuts(probs)
    decided = probs[None, :] >= cuts[:, None]
    total = np.zeros(len(cuts))
    for language in np.unique(languages):
        rows = languages == language
        tp = (decided[:, rows] & truth[rows]).sum(1)
        total += 2 * tp / np.maximum(decided[:, rows].sum(1) + truth[rows].sum(), 1)
    best = np.flatnonzero(total == total.max())
    return float(cuts[best[np.argmin(np.abs(cuts[best] - DEFAULT_THRESHOLD))]])


GRID = np.round(np.arange(0.02, 0.981, 0.01), 2)


def global_threshold(probs: np.ndarray, truth: np.ndarray, mask: np.ndarray | None = None,
                     languages: np.ndarray | list[str] | None = None) -> float:
    """The one threshold for every label that maximises the mean over languages of macro-F1 (each language's macro
    over its annotated labels), on a 0.01 grid; ties go to the value nearest 0.5. One parameter instead of one per
    label, so it over-fits a small tuning split far less."""
    probs, truth = np.asarray(probs, dtype=float), np.asarray(truth, dtype=float)
    mask = np.ones_like(truth) if mask is None else np.asarray(mask, dtype=float)
    languages = np.zeros(len(probs)) if languages is None else np.asarray(languages)
    scores = np.zeros(len(GRID))
    for language in np.unique(languages):
        rows = languages == language
        annotated = mask[rows].any(0)
        if not annotated.any():
            continue
        p, t, m = probs[rows][:, annotated], truth[rows][:, annotated], mask[rows][:, annotated]
        decided = (p[None] >= GRID[:, None, None]) * m
        tp = (decided * t).sum(1)
        wrong = (decided * (1 - t)).sum(1) + ((1 - decided) * t * m).sum(1)
        scores += np.divide(2 * tp, 2 * tp + wrong, out=np.zeros_like(tp), where=2 * tp + wrong > 0).mean(1)
    best = np.flatnonzero(scores >= scores.max() - 1e-12)
    return float(GRID[best[np.argmin(np.abs(GRID[best] - DEFAULT_THRESHOLD))]])


def shrunk_thresholds(probs: np.ndarray, truth: np.ndarray, mask: np.ndarray | None = None,
                      languages: np.ndarray | list[str] | None = None, strength: float = SHRINK_STRENGTH
                      ) -> np.ndarray:
    """Per-label F1 thresholds pulled towards the global one: label j gets w*t_j + (1-w)*global with
    w = positives_j / (positives_j + strength), so a label seen a handful of times barely moves from the global
    value while a frequent one keeps its own."""
    truth = np.asarray(truth)
    mask = np.ones_like(truth) if mask is None else np.asarray(mask)
    shared = global_threshold(probs, truth, mask, languages)
    own = tune_thresholds(probs, truth, mask)
    positives = (truth * mask).sum(0)
    weight = positives / (positives + strength)
    return weight * own + (1 - weight) * shared


def language_label_thresholds(probs: np.ndarray, truth: np.ndarray, mask: np.ndarray, languages: Sequence[str],
                              strength: float = LANGUAGE_SHRINK_STRENGTH) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """per-language-f1: a threshold per language and label. The shared per-label thresholds are language-macro-f1;
    within a language, label j gets w * (its F1-maximising threshold on that language's rows) + (1 - w) * shared_j
    with w = positives / (positives + strength), so a label seen a handful of times in a language keeps the shared
    value. Returns (shared [labels], {language: [labels]}); labels a language does not annotate keep the shared one."""
    probs, truth, mask = np.asarray(probs), np.asarray(truth), np.asarray(mask)
    languages = np.asarray(languages)
    shared, _ = tune_thresholds_for(probs, truth, mask, "language-macro-f1", languages=languages)
    per_language = {}
    for language in np.unique(languages):
        rows = languages == language
        p, t, m = probs[rows], truth[rows], mask[rows]
        own = np.array([best_f1_threshold(p[m[:, j] > 0, j], t[m[:, j] > 0, j], shared[j])
                        for j in range(truth.shape[1])])
        positives = (t * m).sum(0).astype(float)
        weight = np.divide(positives, positives + strength, out=np.zeros_like(positives), where=positives > 0)
        per_language[str(language)] = weight * own + (1 - weight) * shared
    return shared, per_language


def tune_thresholds_for(probs: np.ndarray, truth: np.ndarray, mask: np.ndarray, objective: str = "f1",
                        target: float = 0.9, languages: list[str] | None = None, current: np.ndarray | None = None
                        ) -> tuple[np.ndarray, list[int]]:
    """Per-label thresholds for an objective (f1, shrunk-f1, global-f1, language-macro-f1, precision, recall), and
    the labels for which a precision/recall target was out of reach (they keep `current`)."""
    if objective not in ("f1", "shrunk-f1", "global-f1", "language-macro-f1", "precision", "recall"):
        raise ValueError(f"unknown threshold objective {objective!r}" + (
            " (per-language-f1 thresholds come from language_label_thresholds)" if objective == "per-language-f1"
            else ""))
    if objective == "f1":
        return tune_thresholds(probs, truth, mask), []
    if objective == "shrunk-f1":
        return shrunk_thresholds(probs, truth, mask, languages), []
    if objective == "global-f1":
        return np.full(truth.shape[1], global_threshold(probs, truth, mask, languages)), []
    current = np.full(truth.shape[1], DEFAULT_THRESHOLD) if current is None else np.asarray(current, dtype=float)
    out, missed = current.copy(), []
    for j in range(truth.shape[1]):
        rows = mask[:, j] > 0
        if objective == "language-macro-f1":
            out[j] = language_macro_threshold(probs[rows, j], truth[rows, j], np.asarray(languages)[rows])
            continue
        found = target_threshold(probs[rows, j], truth[rows, j], objective, target, current[j])
        if found is None:
            missed.append(j)
        else:
            out[j] = found
    return out, missed


def threshold_payload(labels: list[str], per_label: np.ndarray, per_language: dict[str, np.ndarray],
                      language_labels: dict[str, list[str]]) -> dict[str, Any]:
    """thresholds.json's per_label and, if any, per_language entries (each language's annotated labels only)."""
    payload: dict[str, Any] = {"per_label": {label: round(float(t), 6) for label, t in zip(labels, per_label)}}
    if per_language:
        payload["per_language"] = {
            lang: {label: round(float(t), 6) for label, t in zip(labels, values)
                   if label in language_labels.get(lang, labels)} for lang, values in per_language.items()}
    return payload
