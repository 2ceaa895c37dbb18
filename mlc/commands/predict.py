"""`python -m mlc.predict`: label texts from a file or stdin with a bundle, writing CSV or JSON lines."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from mlc.core.atomic import check_output_path
from mlc.core.errors import ConfigError
from mlc.inference.args import PredictArgs
from mlc.inference.files import (
    OUTPUT_SUFFIXES,
    is_jsonl,
    output_columns,
    predict_texts,
    read_inputs,
    write_outputs,
)


def check_output(args: PredictArgs) -> None:
    """Every problem with --output, found before the model is loaded and any text is scored."""
    if args.output is None:
        raise ConfigError("no output given (hint: --output predictions.csv, predictions.jsonl, or - for stdout)")
    if args.output == "-":
        return
    if Path(args.output).suffix.lower() not in OUTPUT_SUFFIXES:
        raise ConfigError(f"--output {args.output}: use a .csv or .jsonl file, or - for stdout")
    check_output_path(args.output, inputs=[args.input, args.model, args.thresholds], overwrite=args.overwrite)


def main(argv: Sequence[str] | None = None) -> int:
    args = PredictArgs.from_cli(
        "python -m mlc.predict",
        "Label texts with a bundle: per-label probabilities and the predicted label set, in input order. Texts are "
        "batched by length with dynamic padding; long texts are truncated or scored in overlapping windows. Each "
        "input record is written with the fields predicted_labels and p_<label> (CSV) or predicted_labels and "
        "predicted_scores (JSON lines); an earlier prediction's fields in the input are replaced. Exit code 2 on "
        "bad input.", argv)
    args.validate_inference()
    check_output(args)
    from mlc.inference.classifier import Classifier  # torch: after the options are parsed, so --help is quick

    records, texts, languages, columns = read_inputs(args.input, args)
    classifier = Classifier.load(args.model, args.device, args.precision, args.backend, args.threads)
    output_columns(columns, classifier.labels, is_jsonl(args.output))  # before any text is scored
    thresholds = classifier.option_thresholds(args.thresholds)
    results, empty = predict_texts(classifier, texts, languages, thresholds, batch_size=args.batch_size,
                                   long_text=args.long_text, stride=args.stride, aggregate=args.aggregate,
                                   progress=args.progress)
    if empty:
        first = next(i for i, text in enumerate(texts) if not text.strip())
        print(f"mlc: {empty} empty texts (first: row {first + 1}) get no labels and no scores", file=sys.stderr)
    replaced = write_outputs(args.output, records, columns, results, classifier.labels)
    if replaced:
        print(f"mlc: the input held an earlier prediction; its fields were replaced: {', '.join(replaced)}",
              file=sys.stderr)
    if args.output != "-":
        print(f"mlc: wrote {len(results)} predictions to {args.output}", file=sys.stderr)
    return 0

