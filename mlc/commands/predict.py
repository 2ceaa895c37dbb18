"""`python -m mlc.predict`: label texts from a file or stdin with a bundle, writing CSV, JSON lines or Parquet, a chunk
of rows at a time (resumable, and split across processes under torchrun)."""

from __future__ import annotations

import contextlib
import dataclasses
import sys
from collections.abc import Sequence

from mlc.core.atomic import check_output_path, output_lock, spooled
from mlc.core.cpus import usable_cpus
from mlc.core.errors import ConfigError
from mlc.inference.args import PredictArgs, thresholds_option
from mlc.inference.files import open_inputs, survey_inputs
from mlc.inference.prediction import predict_texts
from mlc.inference.writers import Layout, output_format
from mlc.model import distributed


def check_output(args: PredictArgs) -> None:
    """Every problem with --output, --resume and the launch, found before the model is loaded and any text is
    scored."""
    if args.output is None:
        raise ConfigError("no output given (hint: --output predictions.csv, .jsonl, .parquet, or - for stdout)")
    output_format(args.output)
    if (args.output == "-" or args.input == "-") and (args.resume or distributed.current().distributed):
        what = "--resume" if args.resume else "several processes (torchrun)"
        raise ConfigError(f"{what} needs an input file and an output file, not - (hint: --input FILE --output FILE)")
    if args.output != "-":
        check_output_path(args.output, inputs=[args.input, args.model, args.thresholds], overwrite=args.overwrite)


def _threads(args: PredictArgs) -> int | None:
    """Under several processes on one machine, each takes its share of the cores unless --threads says otherwise."""
    world = distributed.current()
    if args.threads or not world.distributed:
        return args.threads
    return max(1, usable_cpus() // world.local_size)


def main(argv: Sequence[str] | None = None) -> int:
    args = PredictArgs.from_cli(
        "python -m mlc.predict",
        "Label texts with a bundle: per-label probabilities and the predicted label set, in input order. The input "
        "is read, scored and written a chunk of rows at a time (memory does not grow with it) into "
        "OUTPUT.partial/, joined into the output at the end; --resume continues a killed run, and under torchrun "
        "each process scores its share of the chunks. Each input record is written with predicted_labels and "
        "p_<label> (CSV, Parquet) or predicted_labels and predicted_scores (JSON lines); an earlier prediction's "
        "fields in the input are replaced. Exit code 2 on bad input.", argv)
    args.validate_inference()
    check_output(args)
    if args.output == "-":
        return _predict(args)
    with output_lock(args.output) if distributed.current().main else contextlib.nullcontext():
        if args.input == "-":  # stdin into a file: spooled, then the same job as for a file
            with spooled(sys.stdin.buffer, args.output, ".txt") as path:
                return _predict(dataclasses.replace(args, input=str(path)))
        return _predict(args)


def _predict(args: PredictArgs) -> int:
    survey = survey_inputs(args.input, args, args.chunk_rows) if args.input != "-" else None
    from mlc.inference.classifier import Classifier  # torch: after the options and the input are checked

    classifier = Classifier.load(args.model, args.device, args.precision, args.backend, _threads(args),
                                 args.revision)
    layout = Layout.of(survey.columns if survey else ["text"], classifier.labels, output_format(args.output),
                       explained=args.explain > 0)
    if args.output == "-":
        rows, empty, first = _to_stdout(args, classifier, layout)
    else:
        from mlc.inference.job import PredictionJob

        done = PredictionJob(args, classifier, layout, survey, args.chunk_rows).run()
        if not distributed.current().main:
            return 0
        rows, empty, first = survey.rows, done.empty, done.first_empty
    if empty:
        print(f"mlc: {empty} empty texts (first: row {first}) get no labels and no scores", file=sys.stderr)
    if layout.replaced:
        print(f"mlc: the input held an earlier prediction; its fields were replaced: {', '.join(layout.replaced)}",
              file=sys.stderr)
    if args.output != "-":
        world = distributed.current()
        shared = f" ({world.size} processes)" if world.distributed else ""
        print(f"mlc: wrote {rows} predictions to {args.output}{shared}", file=sys.stderr)
    return 0


def _to_stdout(args: PredictArgs, classifier, layout: Layout) -> tuple[int, int, int]:
    """JSON lines on stdout, a chunk at a time as it is scored: (rows, empty texts, first empty row)."""
    thresholds = thresholds_option(args.thresholds, classifier)
    rows = empty = first = 0
    for chunk in open_inputs(args.input, args, args.chunk_rows):
        results, blank = predict_texts(classifier, chunk.texts, chunk.languages, thresholds, args.explain,
                                       progress=args.progress, **args.scoring_options())
        first = first or (chunk.start + blank[0] + 1 if blank else 0)
        sys.stdout.write(layout.render(chunk.records, results).decode("utf-8"))
        sys.stdout.flush()
        rows, empty = rows + len(chunk.texts), empty + len(blank)
    return rows, empty, first
