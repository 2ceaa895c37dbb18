"""The last step of training: a new bundle's thresholds tuned on its validation rows (plus held-back training rows,
if any) and its validation report, from the scores the bundle itself gives (encoder and n-gram blend, through
`Classifier`, in the precision inference will use)."""

from __future__ import annotations

import shutil
import sys

import numpy as np

from mlc.bundle.folder import EVALUATION_DIR, read_bundle_info, replace_thresholds, write_json
from mlc.bundle.text_hashes import carry_tuning_hashes
from mlc.bundle.thresholds import threshold_payload
from mlc.data.aligned import align
from mlc.data.loader import MultiLabelData
from mlc.evaluation.evaluator import Evaluation, compute_metrics
from mlc.evaluation.report import markdown_report, write_plots
from mlc.inference.classifier import Classifier
from mlc.metrics.blend import language_weights
from mlc.metrics.thresholds import tune
from mlc.model.ngrams import mix


def calibrate_bundle(folder, data: MultiLabelData, objective: str, device: str = "auto", blend: str = "auto",
                     shrinkage: float = 100.0) -> None:
    """Tune `folder`'s thresholds by `objective` ("none": keep 0.5) on `data`'s validation and holdout rows and
    write its evaluation/ report; nothing happens without a validation split. With `blend` per-language (or auto), the
    n-gram model's weight is first chosen per language on those rows (mlc.metrics.blend), and the thresholds are
    tuned on the scores it gives. `folder` is the bundle being written (a temporary folder), so a kill leaves no
    half-calibrated bundle behind."""
    if "validation" not in data.splits:
        return
    classifier = Classifier.load(folder, device, backend="torch")
    parts = ["validation", *(["holdout"] if "holdout" in data.splits else [])]
    rows = align(data, parts, classifier.labels, "+".join(parts))
    if blend != "global" and classifier.ngrams is not None:
        probs = choose_language_weights(folder, classifier, rows, shrinkage)
    else:
        probs = classifier.predict_proba(rows.texts, languages=rows.languages)
    thresholds = classifier.thresholds
    tuned = classifier.problem == "multi_label" and objective != "none"
    if tuned:
        found = tune(probs, rows.truth, rows.mask, rows.languages, objective)
        where = " and ".join(f"{part} ({len(data[part])} rows)" for part in parts)
        payload = threshold_payload(classifier.labels, found.shared, found.per_language, data.language_labels)
        replace_thresholds(folder, {**classifier.info["thresholds"], **payload, "source": f"{objective} on {where}"},
                           keep_previous=False)
        thresholds = found.for_rows(rows.languages)
    _write_report(folder, classifier, align(data, ["validation"], classifier.labels, "validation"),
                  probs[: len(data["validation"])], thresholds[: len(data["validation"])]
                  if np.ndim(thresholds) == 2 else thresholds, tuned)


def carry_calibration(first, folder, ngrams=None) -> None:
    """A refit bundle (`folder`, being written, with its n-gram model `ngrams`) takes what its first run (`first`,
    a calibrated bundle) chose on the validation rows it has since trained on: thresholds, n-gram weights, and the
    validation report."""
    from mlc.model.ngrams import NgramModel

    thresholds = read_bundle_info(first)["thresholds"]
    source = thresholds.get("source", "0.5")
    replace_thresholds(folder, {**thresholds, "source": f"{source}, before the refit on those rows"},
                       keep_previous=False)
    chosen = NgramModel.load(first)
    if chosen is not None and ngrams is not None:
        ngrams.weight, ngrams.language_weights = chosen.weight, chosen.language_weights
        ngrams.save_index(folder)
    carry_tuning_hashes(first, folder)
    if (first / EVALUATION_DIR).is_dir():
        shutil.copytree(first / EVALUATION_DIR, folder / EVALUATION_DIR)


def choose_language_weights(folder, classifier: Classifier, rows, shrinkage: float) -> np.ndarray:
    """Each language's n-gram weight, chosen on `rows` and written into the bundle's ngrams/index.json (the
    pooled weight serves languages without one); returns the rows' scores under those weights."""
    ngrams = classifier.ngrams
    encoder = classifier.predict_proba(rows.texts, languages=rows.languages, ngrams=False)
    ngram_probs = ngrams.predict_proba(rows.texts, rows.languages)
    model_languages = [ngrams.model_language(lang) or "" for lang in rows.languages]
    pooled, weights = language_weights(lambda w: mix(encoder, ngram_probs, w), rows.truth, rows.mask,
                                       model_languages, shrinkage)
    ngrams.weight, ngrams.language_weights = pooled, {k: w for k, w in weights.items() if k in ngrams.models}
    ngrams.save_index(folder)
    shown = ", ".join(f"{lang} {w:.2f}" for lang, w in ngrams.language_weights.items())
    print(f"mlc: n-gram weight per language (chosen on {len(rows.texts)} held-out rows, pooled {pooled:.1f}): "
          f"{shown}", file=sys.stderr)
    return mix(encoder, ngram_probs, ngrams.weights_for(rows.languages))


def _write_report(folder, classifier: Classifier, rows, probs: np.ndarray, thresholds: np.ndarray,
                  tuned: bool) -> None:
    """The validation report every bundle carries (the demo's Report tab shows it)."""
    pred = classifier.decide(probs, thresholds, rows.languages)
    if tuned:
        rows.notes.append("the thresholds were tuned on these validation rows (among others), so these scores are "
                          "optimistic; evaluate on held-out data with python -m mlc.evaluate")
    metrics = compute_metrics(classifier.labels, classifier.problem, rows, probs, pred, thresholds, bootstrap=200)
    metrics.update(model="this bundle", thresholds_source="the bundle's thresholds.json")
    target = folder / EVALUATION_DIR
    target.mkdir()
    images = write_plots(Evaluation(metrics, probs, pred, thresholds, rows, classifier.labels, rows.languages),
                         target / "plots")
    write_json(target / "metrics.json", metrics)
    (target / "report.md").write_text(markdown_report(metrics, images), "utf-8")
