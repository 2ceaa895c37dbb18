"""`python -m mlc.evaluate`: score a bundle on labelled data, overall, per language and per label."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mlc.bundle.thresholds import THRESHOLDS_FILE
from mlc.core.atomic import check_output_path, output_lock
from mlc.evaluation.args import EvaluateArgs
from mlc.metrics.scores import uniform_thresholds
from mlc.model import distributed


def main(argv: Sequence[str] | None = None) -> int:
    args = EvaluateArgs.from_cli(
        "python -m mlc.evaluate",
        "Evaluate a bundle on labelled data (any format python -m mlc.data reads): micro/macro/weighted/sample "
        "F1, precision and recall, subset accuracy, Hamming loss, Jaccard, per-label ROC-AUC and average precision, "
        "all per language too, a language x label F1 table and bootstrap intervals. Writes metrics.json, report.md, "
        "predictions.csv and plots with --output. Exit code 2 on bad input.", argv)
    args.validate_inference()
    if args.output:  # found before the model is loaded and the texts are scored
        check_output_path(args.output, inputs=[args.data, args.validation, args.test, args.model, args.label_names],
                          overwrite=args.overwrite, folder=True)
    with contextlib.ExitStack() as held:  # one run per output folder, and one tuning per bundle, at a time
        if distributed.current().main:
            if args.output:
                held.enter_context(output_lock(args.output))
            if args.tune_thresholds and Path(args.model).is_dir():
                held.enter_context(output_lock(Path(args.model) / THRESHOLDS_FILE))
        return _evaluate(args)


def _evaluate(args: EvaluateArgs) -> int:
    # torch and the evaluation layer: after the options are parsed, so --help is quick
    from mlc.evaluation.evaluator import evaluate, tune
    from mlc.evaluation.outputs import save_thresholds, write_outputs
    from mlc.evaluation.report import markdown_report, text_report
    from mlc.inference.classifier import Classifier

    classifier = Classifier.load(args.model, args.device, args.precision, args.backend, args.threads, args.revision)
    evaluation = evaluate(args, classifier)
    distributed.cleanup()  # under torchrun the processes shared the scoring (no-op otherwise); process 0 reports
    if not distributed.current().main:
        return 0
    if args.tune_thresholds:
        before = evaluation
        evaluation, kept = tune(before, classifier, args)
        _print_tuning(before, evaluation, kept)
        save_thresholds(classifier.path, evaluation.tuned, evaluation.metrics["thresholds_source"],
                        classifier.precision)
        print(f"mlc: wrote the tuned thresholds into {classifier.path}/thresholds.json (the previous ones are in "
              "thresholds.previous.json)", file=sys.stderr)
    if args.output:
        write_outputs(evaluation, args.output, args.plots)
        print(f"mlc: wrote {args.output}/metrics.json, report.md, predictions.csv"
              + (" and plots/" if args.plots else ""), file=sys.stderr)
    if args.report_format == "json":
        print(json.dumps(evaluation.metrics, indent=2, ensure_ascii=False))
    elif args.report_format == "markdown":
        print(markdown_report(evaluation.metrics))
    else:
        print(text_report(evaluation.metrics))
    return 0


def _print_tuning(before, after, kept: list[str]) -> None:
    old, new = before.metrics, after.metrics
    print("threshold tuning         before     after", file=sys.stderr)
    for key in ("micro_f1", "macro_f1"):
        print(f"  {key:<22}{old['overall']['summary'][key]:.4f}    {new['overall']['summary'][key]:.4f}",
              file=sys.stderr)
    print(f"  {'mean language macro_f1':<22}{old['mean_language_macro_f1']:.4f}    "
          f"{new['mean_language_macro_f1']:.4f}", file=sys.stderr)
    for label, a, b in zip(after.labels, uniform_thresholds(before.thresholds), uniform_thresholds(after.thresholds), strict=True):
        print(f"  threshold {label:<12}" + "    ".join("per lang" if np.isnan(x) else f"{x:.4f}" for x in (a, b)),
              file=sys.stderr)
    for note in kept:
        print(f"mlc: {note}", file=sys.stderr)
    print("mlc: these are scores on the rows the thresholds were tuned on, so the 'after' column is optimistic; "
          "judge them on other data", file=sys.stderr)

