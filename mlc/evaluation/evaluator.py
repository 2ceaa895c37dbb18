"""Scoring a bundle on labelled data: probabilities from `Classifier`, labels aligned with the bundle's, metrics
overall, per language and per label, and threshold tuning."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlc.bundle.text_hashes import seen_hashes, seen_note, text_hashes
from mlc.bundle.thresholds import threshold_payload
from mlc.core.errors import ConfigError, DataError
from mlc.data.aligned import LabelledRows
from mlc.data.streaming import read_labelled
from mlc.evaluation.args import EvaluateArgs
from mlc.inference.args import thresholds_option
from mlc.inference.chunks import score_in_chunks
from mlc.inference.classifier import Classifier
from mlc.metrics.scores import bootstrap_f1, multilabel_metrics, single_label_metrics
from mlc.metrics.thresholds import tune as tune_thresholds
from mlc.model import distributed


@dataclass
class Evaluation:
    metrics: dict[str, Any]
    probs: np.ndarray
    pred: np.ndarray
    thresholds: np.ndarray  # [labels], or [rows, labels] where they vary by language
    data: LabelledRows
    labels: list[str]
    languages: list[str]  # each row's language among the bundle's (mlc.data.languages.resolve_language)
    tuned: dict[str, Any] | None = None  # after tune(): the thresholds.json entries that save_thresholds writes


def compute_metrics(labels: list[str], problem: str, data: LabelledRows, probs: np.ndarray, pred: np.ndarray,
                    thresholds: np.ndarray, bootstrap: int = 0, seed: int = 0) -> dict[str, Any]:
    """Overall, per-language and language x label metrics (and single-label metrics for single-label bundles)."""
    overall = multilabel_metrics(data.truth, pred, probs, labels, data.mask, thresholds)
    languages = np.asarray(data.languages)
    by_language = {}
    for language in sorted(set(data.languages)):
        rows = languages == language
        by_language[language] = multilabel_metrics(data.truth[rows], pred[rows], probs[rows], labels,
                                                   data.mask[rows], thresholds[rows] if np.ndim(thresholds) == 2
                                                   else thresholds)
    out: dict[str, Any] = {
        "split": data.split, "rows": len(data.ids), "labels": labels, "problem": problem,
        "overall": overall,
        "mean_language_macro_f1": float(np.mean([m["summary"]["macro_f1"] for m in by_language.values()]))
        if by_language else None,
        "languages": by_language,
        "language_label_f1": {lang: {label: m["per_label"][label]["f1"] if label in m["per_label"] else None
                                     for label in labels} for lang, m in by_language.items()},
        "notes": list(data.notes) + overall["notes"],
    }
    if bootstrap and len(data.ids):
        out["bootstrap"] = bootstrap_f1(data.truth, pred, data.mask, rounds=bootstrap, seed=seed)
    if problem == "single_label":
        out["single_label"] = single_label_metrics(data.truth, probs, labels)
        out["single_label_by_language"] = {
            lang: single_label_metrics(data.truth[languages == lang], probs[languages == lang], labels)
            for lang in sorted(set(data.languages))}
    return out


def evaluate(args: EvaluateArgs, classifier: Classifier | None = None) -> Evaluation:
    """Score `args.model` on `args.data` (Python API of `python -m mlc.evaluate`, without writing files). The data
    is read in chunks and its texts are not kept (`mlc.data.streaming`): memory grows with the rows' labels and
    scores, not with their texts."""
    args.validate_inference()
    classifier = classifier or Classifier.load(args.model, args.device, args.precision, args.backend, args.threads,
                                               args.revision)
    languages: list[str] = []
    digests: list[np.ndarray] = []

    def on_texts(texts: list[str], given: list[str]) -> None:
        languages.extend(classifier.resolve_languages(texts, given))
        digests.append(text_hashes(texts))

    data = read_labelled(args, classifier.labels, args.split, args.chunk_rows, on_texts)
    if not data.ids:
        raise DataError(f"the {data.split} split has no rows", path=args.data)
    seen = seen_hashes(classifier.path, np.concatenate(digests))
    note = seen_note(seen, len(data.ids))
    if note:
        data.notes.append(note)
        if distributed.current().main:
            print(f"mlc: warning: {note}", file=sys.stderr)
    probs = score_in_chunks(classifier, data.texts, languages, chunk_rows=args.chunk_rows, desc="evaluate",
                            progress=args.progress, **args.scoring_options())
    thresholds = classifier.resolve_thresholds(thresholds_option(args.thresholds, classifier), languages)
    pred = classifier.decide(probs, thresholds, languages)
    metrics = compute_metrics(classifier.labels, classifier.problem, data, probs, pred, thresholds, args.bootstrap,
                              args.seed)
    metrics.update(model=str(classifier.path), thresholds_source=args.thresholds, seen_in_bundle=seen,
                   precision=classifier.precision)
    return Evaluation(metrics, probs, pred, thresholds, data, classifier.labels, languages)


def tune(evaluation: Evaluation, classifier: Classifier, args: EvaluateArgs) -> tuple[Evaluation, list[str]]:
    """Tune thresholds on the evaluated rows; return the evaluation under the new thresholds and what tuning could
    not decide, one line each (targets out of reach, labels without positives, languages without rows: all keep
    the thresholds they had)."""
    if classifier.problem == "single_label":
        raise ConfigError("--tune-thresholds applies to multi-label bundles (single-label ones take the arg-max)")
    data, languages = evaluation.data, evaluation.languages
    override = thresholds_option(args.thresholds, classifier)
    in_force = {lang: classifier.resolve_thresholds(override, [lang])[0] for lang in classifier.language_thresholds}
    try:
        found = tune_thresholds(evaluation.probs, data.truth, data.mask, languages, args.tune_objective, args.target,
                                classifier.resolve_thresholds(override), in_force)
    except ValueError as err:
        raise ConfigError(f"--target: {err}") from None
    tuned = found.for_rows(languages)
    pred = classifier.decide(evaluation.probs, tuned, languages)
    metrics = compute_metrics(classifier.labels, classifier.problem, data, evaluation.probs, pred, tuned,
                              args.bootstrap, args.seed)
    metrics.update(model=str(classifier.path), thresholds_source=f"tuned ({args.tune_objective}) on {data.split}",
                   seen_in_bundle=evaluation.metrics.get("seen_in_bundle"), precision=classifier.precision)
    payload = threshold_payload(classifier.labels, found.shared, found.per_language, classifier.language_labels)
    return Evaluation(metrics, evaluation.probs, pred, tuned, data, classifier.labels, languages, payload), \
        _kept_notes(found, classifier.labels, args.target)


def _kept_notes(found, labels: list[str], target: float) -> list[str]:
    notes = []
    if found.missed:
        notes.append(f"the target {target} was out of reach for {', '.join(labels[j] for j in found.missed)}; "
                     "they keep their thresholds")
    if found.no_positives:
        notes.append(f"no positive example of {', '.join(labels[j] for j in found.no_positives)} in these rows; "
                     "they keep their thresholds")
    if found.kept_languages:
        notes.append(f"no rows in {', '.join(found.kept_languages)}; these languages keep their thresholds")
    return notes
