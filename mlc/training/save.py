"""Writing a training run as a bundle: the model files (mlc.bundle), with the run's record beside them: metrics per
stage, the options, the data summary, the log, the hashes of the texts it saw, and a model card."""

from __future__ import annotations

import shutil
from dataclasses import asdict
from pathlib import Path

from mlc.bundle.folder import write_bundle, write_json
from mlc.bundle.text_hashes import save_text_hashes
from mlc.bundle.thresholds import default_thresholds
from mlc.data.loader import column_values
from mlc.training.args import TrainArgs
from mlc.training.result import TrainResult


def save_trained(result: TrainResult, args: TrainArgs, folder: Path, log_path: Path | None = None) -> None:
    """Fill `folder` (a temporary folder, renamed into place by the caller) with the trained bundle. Its thresholds
    are 0.5 until tuned (mlc.evaluation.calibration)."""
    data = result.data
    info = {"labels": data.labels, "language_labels": data.language_labels, "pooling": args.pooling,
            "problem": args.problem, "max_length": args.max_length, "base_model": args.model}
    write_bundle(folder, result.model, result.tokenizer, info, default_thresholds(data.labels, result.precision),
                 result.ngrams)
    save_text_hashes(folder, column_values(data["train"], "text"),
                     [text for split in ("validation", "holdout") if split in data.splits
                      for text in column_values(data[split], "text")])
    write_json(folder / "metrics.json", {"validation_by_stage": result.stage_metrics,
                                         "train_samples_per_second": result.samples_per_second,
                                         "steps": result.steps, "truncated_training_texts": result.truncated,
                                         "processes": result.processes, "device": result.device,
                                         "precision": result.precision, "seconds": round(result.seconds, 1),
                                         "choices": result.choices, "refit": result.refit})
    write_json(folder / "training_args.json", asdict(args))
    summary = data.summary()
    write_json(folder / "data_summary.json", {**summary, "files": data.info.get("files")})  # the bytes it learnt from
    if log_path is not None and log_path.exists():
        shutil.copyfile(log_path, folder / "train-log.jsonl")
    (folder / "README.md").write_text(model_card(args, result, summary), "utf-8")


def model_card(args: TrainArgs, result: TrainResult, summary: dict) -> str:
    data = result.data
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
    if result.refit:
        what = "the encoder and the n-gram model" if result.refit["what"] == "all" else "the n-gram model"
        lines += ["", f"Refitted (`--refit {result.refit['what']}`): {what} trained again on {result.refit['rows']} "
                  f"rows ({result.refit['trained_on']}) once the thresholds and weights were chosen on the validation "
                  "rows; the validation scores below are from before the refit."]
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
