"""Tuning decision thresholds (pure functions over probabilities, 0/1 labels and annotation masks)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

DEFAULT_THRESHOLD = 0.5
THRESHOLD_OBJECTIVES = ("per-language-f1", "language-macro-f1", "f1", "shrunk-f1", "global-f1", "precision",
                        "recall")


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


def tune_thresholds(probs: np.ndarray, truth: np.ndarray, mask: np.ndarray | None = None,
                    current: np.ndarray | None = None) -> np.ndarray:
    """Per-label F1-maximising thresholds over rows where the label is annotated (mask=1); a label with no positive
    there keeps its `current` threshold (default 0.5)."""
    probs, truth = np.asarray(probs), np.asarray(truth)
    mask = np.ones_like(truth) if mask is None else np.asarray(mask)
    current = _current(current, truth.shape[1])
    return np.array([best_f1_threshold(probs[mask[:, j] > 0, j], truth[mask[:, j] > 0, j], current[j])
                     for j in range(truth.shape[1])])


def _current(current: np.ndarray | None, labels: int) -> np.ndarray:
    return np.full(labels, DEFAULT_THRESHOLD) if current is None else np.asarray(current, dtype=float)


def positives_by_label(truth: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """How many annotated positives each label has."""
    return (np.asarray(truth) * np.asarray(mask)).sum(0)


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
                      languages: np.ndarray | list[str] | None = None, strength: float = SHRINK_STRENGTH,
                      current: np.ndarray | None = None) -> np.ndarray:
    """Per-label F1 thresholds pulled towards the global one: label j gets w*t_j + (1-w)*global with
    w = positives_j / (positives_j + strength), so a label seen a handful of times barely moves from the global
    value while a frequent one keeps its own."""
    truth = np.asarray(truth)
    mask = np.ones_like(truth) if mask is None else np.asarray(mask)
    shared = global_threshold(probs, truth, mask, languages)
    own = tune_thresholds(probs, truth, mask)
    positives = positives_by_label(truth, mask)
    weight = positives / (positives + strength)
    return np.where(positives > 0, weight * own + (1 - weight) * shared, _current(current, truth.shape[1]))


def language_label_thresholds(probs: np.ndarray, truth: np.ndarray, mask: np.ndarray, languages: Sequence[str],
                              strength: float = LANGUAGE_SHRINK_STRENGTH, current: np.ndarray | None = None,
                              current_languages: dict[str, np.ndarray] | None = None
                              ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """per-language-f1: a threshold per language and label. The shared per-label thresholds are language-macro-f1;
    within a language, label j gets w * (its F1-maximising threshold on that language's rows) + (1 - w) * shared_j
    with w = positives / (positives + strength), so a label seen a handful of times in a language keeps the shared
    value. Returns (shared [labels], {language: [labels]}); labels a language does not annotate keep the shared one.
    A label with no positive keeps its `current` threshold (shared) or its `current_languages` one (in a language),
    where given."""
    probs, truth, mask = np.asarray(probs), np.asarray(truth), np.asarray(mask)
    languages, current_languages = np.asarray(languages), current_languages or {}
    shared, _ = tune_thresholds_for(probs, truth, mask, "language-macro-f1", languages=languages, current=current)
    per_language = {}
    for language in np.unique(languages):
        rows = languages == language
        p, t, m = probs[rows], truth[rows], mask[rows]
        own = np.array([best_f1_threshold(p[m[:, j] > 0, j], t[m[:, j] > 0, j], shared[j])
                        for j in range(truth.shape[1])])
        positives = positives_by_label(t, m).astype(float)
        weight = np.divide(positives, positives + strength, out=np.zeros_like(positives), where=positives > 0)
        before = current_languages.get(str(language), shared)
        per_language[str(language)] = np.where(positives > 0, weight * own + (1 - weight) * shared, before)
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
    if objective in ("precision", "recall") and not 0 < target <= 1:
        raise ValueError(f"a {objective} target must be in (0, 1], got {target}")
    current = _current(current, truth.shape[1])
    if objective == "f1":
        return tune_thresholds(probs, truth, mask, current), []
    if objective == "shrunk-f1":
        return shrunk_thresholds(probs, truth, mask, languages, current=current), []
    if objective == "global-f1":
        found = global_threshold(probs, truth, mask, languages)
        return np.where(positives_by_label(truth, mask) > 0, found, current), []
    out, missed = current.copy(), []
    for j in range(truth.shape[1]):
        rows = mask[:, j] > 0
        if objective == "language-macro-f1":
            out[j] = language_macro_threshold(probs[rows, j], truth[rows, j], np.asarray(languages)[rows], current[j])
            continue
        found = target_threshold(probs[rows, j], truth[rows, j], objective, target, current[j])
        if found is None:
            missed.append(j)
        else:
            out[j] = found
    return out, missed


@dataclass
class TunedThresholds:
    """What tuning found: thresholds per label, per language and label where the objective tunes them so (or where
    the thresholds tuned before had them: languages without tuning rows keep theirs), the labels (indices) whose
    precision/recall target was out of reach, the labels with no positive in the tuning rows (they keep their
    thresholds), and the languages that kept their earlier thresholds for want of rows."""

    shared: np.ndarray
    per_language: dict[str, np.ndarray] = field(default_factory=dict)
    missed: list[int] = field(default_factory=list)
    no_positives: list[int] = field(default_factory=list)
    kept_languages: list[str] = field(default_factory=list)

    def for_rows(self, languages: Sequence[str]) -> np.ndarray:
        """[labels], or [rows, labels] with each row's language's thresholds."""
        if not self.per_language:
            return self.shared
        return np.stack([self.per_language.get(lang, self.shared) for lang in languages])


def tune(probs: np.ndarray, truth: np.ndarray, mask: np.ndarray, languages: Sequence[str], objective: str,
         target: float = 0.9, current: np.ndarray | None = None,
         current_languages: dict[str, np.ndarray] | None = None) -> TunedThresholds:
    """Thresholds by `objective` (one of THRESHOLD_OBJECTIVES): the one entry point of tuning, after training and in
    python -m mlc.evaluate --tune-thresholds. `current` and `current_languages` are the thresholds in force (per
    label; per language and label): nothing the tuning rows cannot decide is lost. A label with no positive keeps
    its threshold; languages absent from the rows keep their table; a language in the rows takes what the objective
    found (per-language-f1: its own; the pooled objectives: the pooled values). per-language-f1 over a single
    language, with no table before, is per-label."""
    languages, current_languages = np.asarray(languages), dict(current_languages or {})
    present = {str(lang) for lang in np.unique(languages)}
    unseen = positives_by_label(truth, mask) == 0  # labels without a positive in these rows keep their thresholds
    no_positives = [int(j) for j in np.flatnonzero(unseen)]
    if objective == "per-language-f1":
        shared, found = language_label_thresholds(probs, truth, mask, languages, current=current,
                                                  current_languages=current_languages)
        missed: list[int] = []
        if len(found) == 1 and not current_languages:
            return TunedThresholds(next(iter(found.values())), {}, missed, no_positives)
    else:
        shared, missed = tune_thresholds_for(probs, truth, mask, objective, target, languages, current)
        found = {lang: np.where(unseen, current_languages.get(lang, shared), shared) for lang in present} \
            if current_languages else {}
    kept = sorted(set(current_languages) - present)
    per_language = {**{lang: current_languages[lang] for lang in kept}, **found}
    return TunedThresholds(shared, per_language, missed, no_positives, kept if per_language else [])
