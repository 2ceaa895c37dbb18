"""Scoring a bundle on labelled data: probabilities from `Classifier`, labels aligned with the bundle's, metrics
overall, per language and per label, optional threshold tuning, and the output folder."""

from __future__ import annotations

import csv
import json
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_file, atomic_folder
from .data import MultiLabelData, load_data
from .data.loader import DataWarning, column_values
from .errors import ConfigError, DataError
from .inference import Classifier
from .inference_args import EvaluateArgs
from .metrics import bootstrap_f1, multilabel_metrics, single_label_metrics, uniform_thresholds
from .overlap import seen_in_bundle, seen_note
from .thresholds import (
    language_label_thresholds,
    parse_thresholds_option,
    threshold_payload,
    tune_thresholds_for,
)


@dataclass
class EvaluationData:
    """Rows aligned with a bundle's labels: truth [n, labels] and mask [n, labels] (1 where the row's language was
    annotated with the label in this data)."""

    ids: list[str]
    texts: list[str]
    languages: list[str]
    truth: np.ndarray
    mask: np.ndarray
    split: str
    notes: list[str] = field(default_factory=list)


@dataclass
class Evaluation:
    metrics: dict[str, Any]
    probs: np.ndarray
    pred: np.ndarray
    thresholds: np.ndarray  # [labels], or [rows, labels] where they vary by language
    data: EvaluationData
    labels: list[str]
    tuned: dict[str, Any] | None = None  # after tune(): the thresholds.json entries that save_thresholds writes


def pick_split(available: list[str], split: str) -> str:
    if split == "auto":
        return next(s for s in ("test", "validation", "train") if s in available)
    if split != "all" and split not in available:
        raise ConfigError(f"--split {split}: the data has only {', '.join(available)} (hint: use --split auto)")
    return split


def load_evaluation_data(args: EvaluateArgs, labels: list[str]) -> EvaluationData:
    """The chosen split of `args.data`, its labels mapped onto the bundle's `labels`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # "never occurs in training" means nothing here
        data = load_data(args)
    split = pick_split(list(data.splits), args.split)
    unknown = [label for label in data.labels if label not in labels]
    if unknown:
        raise DataError(f"the data has labels the bundle does not know: {', '.join(unknown)}", path=args.data,
                        hint=f"the bundle's labels are {', '.join(labels)}; rename or drop the others")
    return align(data, list(data.splits) if split == "all" else [split], labels, split)


def align(data: MultiLabelData, parts: list[str], labels: list[str], name: str) -> EvaluationData:
    """Rows of `parts` with truth and annotation mask over `labels` (a superset of the data's labels)."""
    position = {label: j for j, label in enumerate(labels)}
    index = [position[label] for label in data.labels]
    ids, texts, languages, rows = [], [], [], []
    for part in parts:
        ids += column_values(data[part], "id")
        texts += column_values(data[part], "text")
        languages += column_values(data[part], "language")
        rows += column_values(data[part], "labels")
    truth = np.zeros((len(ids), len(labels)), dtype=np.int8)
    if rows:
        truth[:, index] = np.asarray(rows, dtype=np.int8)
    annotated = {lang: [position[x] for x in names] for lang, names in data.language_labels.items()}
    mask = np.zeros_like(truth)
    for i, language in enumerate(languages):
        mask[i, annotated.get(language, index)] = 1
    notes = []
    absent = [label for label in labels if label not in data.labels]
    if absent:
        notes.append(f"bundle labels absent from the data, left out of every score: {', '.join(absent)}")
    return EvaluationData(ids, texts, languages, truth, mask, name, notes)


def read_thresholds(spec: str, classifier: Classifier) -> np.ndarray | None:
    """--thresholds: 'bundle' (None: the bundle's own, per language where it has them), one number in [0, 1], or a
    JSON file of {label: threshold} (or the bundle's thresholds.json format). Every value is checked."""
    chosen = parse_thresholds_option(spec)
    if chosen is None:  # the bundle's own, per language where it has them: resolved with the rows' languages
        return None
    try:
        return classifier.resolve_thresholds(chosen)
    except ConfigError as err:
        raise ConfigError(f"--thresholds {spec}: {err}") from None


def compute_metrics(labels: list[str], problem: str, data: EvaluationData, probs: np.ndarray, pred: np.ndarray,
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
    """Score `args.model` on `args.data` (Python API of `python -m mlc.evaluate`, without writing files)."""
    args.validate_inference()
    classifier = classifier or Classifier.load(args.model, args.device, args.cache_dir, args.precision)
    data = load_evaluation_data(args, classifier.labels)
    if not data.ids:
        raise DataError(f"the {data.split} split has no rows", path=args.data)
    seen = seen_in_bundle(classifier.path, data.texts)
    note = seen_note(seen, len(data.ids))
    if note:
        data.notes.append(note)
        print(f"mlc: warning: {note}", file=sys.stderr)
    probs = classifier.predict_proba(data.texts, batch_size=args.batch_size, long_text=args.long_text,
                                     stride=args.stride, aggregate=args.aggregate, progress=True,
                                     languages=data.languages)
    thresholds = classifier.resolve_thresholds(read_thresholds(args.thresholds, classifier), data.languages)
    pred = classifier.decide(probs, thresholds, data.languages)
    metrics = compute_metrics(classifier.labels, classifier.problem, data, probs, pred, thresholds, args.bootstrap,
                              args.seed)
    metrics.update(model=str(classifier.path), thresholds_source=args.thresholds, seen_in_bundle=seen,
                   precision=classifier.precision)
    return Evaluation(metrics, probs, pred, thresholds, data, classifier.labels)


def tune(evaluation: Evaluation, classifier: Classifier, args: EvaluateArgs) -> tuple[Evaluation, list[str]]:
    """Tune thresholds on the evaluated rows; return the evaluation under the new thresholds and the labels whose
    precision/recall target was out of reach."""
    if classifier.problem == "single_label":
        raise ConfigError("--tune-thresholds applies to multi-label bundles (single-label ones take the arg-max)")
    data = evaluation.data
    languages = np.asarray(data.languages)
    if args.tune_objective == "per-language-f1":
        shared, per_language = language_label_thresholds(evaluation.probs, data.truth, data.mask, languages)
        if len(per_language) == 1:
            shared, per_language = next(iter(per_language.values())), {}
        tuned, missed = np.stack([per_language[lang] for lang in languages]) if per_language else shared, []
    else:
        shown = uniform_thresholds(evaluation.thresholds)
        shared, missed = tune_thresholds_for(evaluation.probs, data.truth, data.mask, args.tune_objective,
                                             args.target, languages,
                                             np.where(np.isnan(shown), classifier.thresholds, shown))
        tuned, per_language = shared, {}
    pred = classifier.decide(evaluation.probs, tuned, data.languages)
    metrics = compute_metrics(classifier.labels, classifier.problem, data, evaluation.probs, pred, tuned,
                              args.bootstrap, args.seed)
    metrics.update(model=str(classifier.path), thresholds_source=f"tuned ({args.tune_objective}) on {data.split}",
                   seen_in_bundle=evaluation.metrics.get("seen_in_bundle"), precision=classifier.precision)
    payload = threshold_payload(classifier.labels, shared, per_language, classifier.language_labels)
    return Evaluation(metrics, evaluation.probs, pred, tuned, data, classifier.labels, payload), \
        [classifier.labels[j] for j in missed]


def save_thresholds(bundle: Path, tuned: dict[str, Any], source: str, precision: str) -> None:
    """Replace the bundle's thresholds.json with `tuned` (Evaluation.tuned, from scores computed in `precision`)
    atomically (the old one is kept as thresholds.previous.json)."""
    from .bundle import THRESHOLDS_FILE

    path = bundle / THRESHOLDS_FILE
    old = json.loads(path.read_text("utf-8"))
    with atomic_file(bundle / "thresholds.previous.json", encoding="utf-8") as handle:
        json.dump(old, handle, indent=2, ensure_ascii=False)
    payload = {"default": old.get("default", 0.5), **tuned, "source": source, "scores_precision": precision}
    with atomic_file(path, encoding="utf-8") as handle:
        json.dump(payload, handle, indent=2, ensure_ascii=False)


def write_outputs(evaluation: Evaluation, output: str | Path, plots: bool = True) -> Path:
    """OUTPUT/metrics.json, report.md, predictions.csv and plots/*.png, written as one atomic folder."""
    from .report import markdown_report, write_plots

    with atomic_folder(output) as tmp:
        (tmp / "metrics.json").write_text(json.dumps(evaluation.metrics, indent=2, ensure_ascii=False), "utf-8")
        images = write_plots(evaluation, tmp / "plots") if plots else []
        (tmp / "report.md").write_text(markdown_report(evaluation.metrics, images), "utf-8")
        data, labels = evaluation.data, evaluation.labels
        with (tmp / "predictions.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "language", "text", "true_labels", "predicted_labels",
                             *[f"p_{label}" for label in labels]])
            for i in range(len(data.ids)):
                writer.writerow([data.ids[i], data.languages[i], data.texts[i],
                                 "|".join(label for j, label in enumerate(labels) if data.truth[i, j]),
                                 "|".join(label for j, label in enumerate(labels) if evaluation.pred[i, j]),
                                 *[f"{p:.6f}" for p in evaluation.probs[i]]])
    return Path(output)
