"""The bundle: one folder holding everything inference needs, written atomically (temp folder, then rename).

    config.json, model.safetensors     the classifier (save_pretrained): encoder config, pooling, id2label,
                                       label2id, problem_type, auto_map
    modeling_mlc.py                    a copy of mlc/modeling.py, so transformers loads the bundle without mlc
    tokenizer files                    save_pretrained
    mlc.json                           labels, per-language label sets, pooling, problem, max_length
    thresholds.json                    a threshold per label, per language and label (per-language-f1), a global
                                       fallback, and the precision of the scores they were tuned on
    ngrams/                            the n-gram model blended into the scores (mlc.ngrams), unless turned off
    evaluation/                        the validation report: metrics.json, report.md, plots/*.png
    metrics.json                       validation metrics per stage and language
    training_args.json, train-log.jsonl, README.md (model card)
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from . import modeling
from .atomic import atomic_folder
from .errors import ModelError
from .evaluation import align
from .overlap import save_text_hashes
from .thresholds import DEFAULT_THRESHOLD, language_label_thresholds, threshold_payload, tune_thresholds_for

BUNDLE_FILE = "mlc.json"
MODELING_FILE = "modeling_mlc.py"
THRESHOLDS_FILE = "thresholds.json"
# The index of a --schedule per-language output folder: {"schedule": ..., "bundles": {language: subfolder}}.
LANGUAGES_FILE = "languages.json"
EVALUATION_DIR = "evaluation"


def _write_json(path: Path, payload: Any) -> None:
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False), "utf-8")


def save_bundle(result, trainer, output: str | os.PathLike, log_path: Path | None = None) -> Path:
    """Write a trained model as a bundle folder; an existing bundle there is replaced only once the new one is
    complete."""
    output = Path(output)
    args, data, model = trainer.args, result.data, result.model
    with atomic_folder(output) as tmp:
        model.save_pretrained(tmp)
        shutil.copyfile(Path(modeling.__file__), tmp / MODELING_FILE)
        result.tokenizer.save_pretrained(tmp)

        # scores_precision: what the thresholds' scores were computed in (inference follows it, see mlc.precision).
        thresholds = {"default": DEFAULT_THRESHOLD, "per_label": dict.fromkeys(data.labels, DEFAULT_THRESHOLD),
                      "source": "default 0.5", "scores_precision": result.precision}
        if "validation" in data.splits:
            rows = align(data, ["validation"], data.labels, "validation")
            probs = _scores(trainer, result, "validation", rows)
            tuned = np.full(len(data.labels), DEFAULT_THRESHOLD)
            if args.problem == "multi_label" and args.threshold_objective != "none":
                tuned, per_language, source = _tune(trainer, result, rows, probs)
                thresholds.update(threshold_payload(data.labels, tuned, per_language, data.language_labels),
                                  source=source)
                if per_language:
                    tuned = np.stack([per_language[lang] for lang in rows.languages])
                rows.notes.append("the thresholds were tuned on these validation rows (among others), so these "
                                  "scores are optimistic; evaluate on held-out data with python -m mlc.evaluate")
            _write_evaluation(tmp / EVALUATION_DIR, data.labels, args.problem, rows, probs, tuned)
        _write_json(tmp / THRESHOLDS_FILE, thresholds)
        if result.ngrams is not None:
            result.ngrams.save(tmp)
        save_text_hashes(tmp, data["train"]["text"],
                         [text for split in ("validation", "holdout") if split in data.splits
                          for text in data[split]["text"]])
        _write_json(tmp / BUNDLE_FILE, {
            "format": 1, "labels": data.labels, "language_labels": data.language_labels, "pooling": args.pooling,
            "problem": args.problem, "max_length": args.max_length, "base_model": args.model,
        })
        _write_json(tmp / "metrics.json", {"validation_by_stage": result.stage_metrics,
                                           "train_samples_per_second": result.samples_per_second,
                                           "steps": result.steps, "truncated_training_texts": result.truncated,
                                           "processes": result.processes, "device": result.device,
                                           "precision": result.precision})
        _write_json(tmp / "training_args.json", asdict(args))
        summary = data.summary()
        _write_json(tmp / "data_summary.json", summary)
        if log_path is not None and log_path.exists():
            shutil.copyfile(log_path, tmp / "train-log.jsonl")
        (tmp / "README.md").write_text(_model_card(args, data, result, summary), "utf-8")
    return output


def _scores(trainer, result, split: str, rows) -> np.ndarray:
    """What the bundle will predict for a split: the encoder's probabilities, blended with the n-gram model's."""
    probs = trainer.predict_proba(result.model, result.tokenizer, split)
    return probs if result.ngrams is None else result.ngrams.blend(probs, rows.texts, rows.languages)


def _tune(trainer, result, rows, probs: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray], str]:
    """Thresholds by the run's objective over the validation rows plus the held-back training rows, if any: per
    label, and per language (per-language-f1, with more than one language; else {})."""
    args, data = trainer.args, result.data
    parts = ["validation"]
    if "holdout" in data.splits:
        parts.append("holdout")
        rows = align(data, parts, data.labels, "validation+holdout")
        held = align(data, ["holdout"], data.labels, "holdout")
        probs = np.concatenate([probs, _scores(trainer, result, "holdout", held)])
    where = " and ".join(f"{part} ({len(data[part])} rows)" for part in parts)
    source = f"{args.threshold_objective} on {where}"
    languages = np.asarray(rows.languages)
    if args.threshold_objective == "per-language-f1":
        shared, per_language = language_label_thresholds(probs, rows.truth, rows.mask, languages)
        if len(per_language) > 1:
            return shared, per_language, source
        return next(iter(per_language.values()), shared), {}, source
    tuned, _ = tune_thresholds_for(probs, rows.truth, rows.mask, args.threshold_objective, languages=languages)
    return tuned, {}, source


def _write_evaluation(folder: Path, labels: list[str], problem: str, rows, probs: np.ndarray,
                      thresholds: np.ndarray) -> None:
    """The validation report every bundle carries (the demo's Report tab shows it)."""
    from .evaluation import Evaluation, compute_metrics
    from .report import markdown_report, write_plots

    pred = (np.eye(len(labels), dtype=np.int8)[probs.argmax(1)] if problem == "single_label"
            else (probs >= thresholds).astype(np.int8))
    metrics = compute_metrics(labels, problem, rows, probs, pred, thresholds, bootstrap=200)
    metrics.update(model="this bundle", thresholds_source="the bundle's thresholds.json")
    folder.mkdir()
    images = write_plots(Evaluation(metrics, probs, pred, thresholds, rows, labels), folder / "plots")
    _write_json(folder / "metrics.json", metrics)
    (folder / "report.md").write_text(markdown_report(metrics, images), "utf-8")


def _model_card(args, data, result, summary: dict) -> str:
    lines = [f"# mlc bundle: {len(data.labels)} labels, {len(data.languages)} languages", "",
             f"Fine-tuned from `{args.model}` with `python -m mlc.train` (schedule `{args.schedule}`, pooling "
             f"`{args.pooling}`, problem `{args.problem}`)."
             + (f" Scores blend the encoder with a per-language TF-IDF n-gram model (`ngrams/`, weight "
                f"{result.ngrams.weight:g}); transformers' pipeline sees the encoder alone." if result.ngrams else ""),
             "",
             "## Labels", "", ", ".join(data.labels), "", "## Data", "",
             "| language | " + " | ".join(summary["splits"]) + " |", "|---|" + "---|" * len(summary["splits"])]
    for lang, info in summary["languages"].items():
        lines.append(f"| {lang} | " + " | ".join(str(info["rows"].get(s, 0)) for s in summary["splits"]) + " |")
    lines += ["", "## Validation macro-F1 per language after each stage", ""]
    if result.stage_metrics:
        stages = list(result.stage_metrics)
        final = result.stage_metrics[stages[-1]]
        lines += ["| language | macro-F1 | micro-F1 |", "|---|---|---|"]
        lines += [f"| {lang} | {m['macro_f1']:.4f} | {m['micro_f1']:.4f} |" for lang, m in final.items()]
    lines += ["", "## Intended use and limitations", "",
              "Tagging short texts in the languages above with the labels above. Quality in other languages is "
              "unmeasured. Thresholds in thresholds.json were tuned on the validation split (plus held-back training "
              "rows with threshold_holdout; its `source` says which), which may be small; evaluation/report.md "
              "scores that same split, so it is optimistic.", "",
              "## Use", "", "```python",
              "from mlc import Classifier            # pip install the mlc repository's requirements",
              "Classifier.load(BUNDLE).predict([\"...\"])", "",
              "from transformers import pipeline     # without mlc",
              "pipeline(\"text-classification\", model=BUNDLE, trust_remote_code=True, top_k=None,",
              "         function_to_apply=\"sigmoid\")([\"...\"])", "```", ""]
    return "\n".join(lines)


def read_bundle_info(folder: str | os.PathLike) -> dict[str, Any]:
    folder = Path(folder)
    path = folder / BUNDLE_FILE
    if not path.is_file() and (folder / LANGUAGES_FILE).is_file():
        languages = json.loads((folder / LANGUAGES_FILE).read_text("utf-8"))["bundles"]
        raise ModelError(f"{folder}: holds one bundle per language (--schedule per-language), not a bundle "
                         f"(hint: load one of {', '.join(str(folder / p) for p in languages.values())})")
    if not path.is_file():
        raise ModelError(f"{folder}: not an mlc bundle (no {BUNDLE_FILE}) (hint: train one with python -m mlc.train)")
    info = _read_bundle_json(path)
    info["thresholds"] = _read_bundle_json(folder / THRESHOLDS_FILE)
    if not isinstance(info.get("labels"), list) or not isinstance(info["thresholds"].get("per_label"), dict):
        raise ModelError(f"{folder}: a damaged bundle (no label list in {BUNDLE_FILE} or no per_label thresholds in "
                         f"{THRESHOLDS_FILE}) (hint: retrain it, or restore its files)")
    return info


def _read_bundle_json(path: Path) -> dict[str, Any]:
    """One JSON object of a bundle; a missing, unreadable or damaged file is a ModelError naming it."""
    try:
        payload = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path}: missing from the bundle (hint: retrain it, or restore the file)") from None
    except OSError as err:
        raise ModelError(f"{path}: cannot read it: {err.strerror}") from None
    except ValueError as err:  # JSON or UTF-8
        raise ModelError(f"{path}: damaged ({err}) (hint: retrain the bundle, or restore the file)") from None
    if not isinstance(payload, dict):
        raise ModelError(f"{path}: damaged (not a JSON object) (hint: retrain the bundle, or restore the file)")
    return payload


def load_bundle_model(folder: str | os.PathLike):
    """(MlcForSequenceClassification, tokenizer, info) from a bundle; weights from safetensors only."""
    from .encoders import load_tokenizer

    folder = Path(folder)
    info = read_bundle_info(folder)
    try:
        model = modeling.MlcForSequenceClassification.from_pretrained(str(folder), use_safetensors=True)
    except Exception as err:  # safetensors, transformers and torch raise their own types for a damaged file
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ModelError(f"{folder}: the bundle's model cannot be loaded ({first}) (hint: retrain it, or restore "
                         "its files)") from None
    model.eval()
    return model, load_tokenizer(str(folder)), info
