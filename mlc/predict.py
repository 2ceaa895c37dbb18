"""`python -m mlc.predict`: label texts from a file or stdin with a bundle, writing CSV or JSON lines."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .atomic import atomic_file, check_output_path
from .cli import parse_dataclass_cli, run_cli
from .errors import ConfigError
from .inference_args import PredictArgs

TEXT_SUFFIXES = (".txt",)
OUTPUT_SUFFIXES = (".csv", ".jsonl")
# The fields a prediction adds to each input record: predicted_labels, and per label p_<label> (CSV) or
# predicted_scores {label: p} (JSON lines). An input that has predicted_labels holds an earlier prediction, whose
# fields (predicted_labels, predicted_scores, every p_*) are replaced as a whole.
PREDICTED_LABELS, PREDICTED_SCORES, SCORE_PREFIX = "predicted_labels", "predicted_scores", "p_"


def read_inputs(args: PredictArgs) -> tuple[list[dict[str, Any]], list[str], list[str | None], list[str]]:
    """(records, texts, languages, columns) in input order. Records keep every input column for the output."""
    from .data.loader import LANGUAGE_COLUMNS, TEXT_COLUMNS, pick_column
    from .data.readers import data_suffix, read_lines, read_table, split_lines

    if args.input is None:
        raise ConfigError("no input given (hint: --input FILE, or --input - to read one text per line from stdin)")
    if args.input == "-" or data_suffix(Path(args.input)) in TEXT_SUFFIXES:
        lines = split_lines(sys.stdin.read()) if args.input == "-" else read_lines(args.input, args.encoding)
        return [{"text": line} for line in lines], lines, [None] * len(lines), ["text"]
    named = {c for c in (args.text_column, args.language_column) if c}
    table = read_table(args.input, encoding=args.encoding, known_columns={*TEXT_COLUMNS, *named})
    text_column = pick_column(table, args.text_column, TEXT_COLUMNS, "text", "--text-column", required=True)
    language_column = pick_column(table, args.language_column, LANGUAGE_COLUMNS, "language", "--language-column",
                                  required=False)
    texts = [_text_of(r.get(text_column)) for r in table.rows]
    languages = [(_text_of(r.get(language_column)) or None) if language_column else None for r in table.rows]
    return table.rows, texts, languages, table.columns


def _text_of(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def check_output(args: PredictArgs) -> None:
    """Every problem with --output, found before the model is loaded and any text is scored."""
    if args.output is None:
        raise ConfigError("no output given (hint: --output predictions.csv, predictions.jsonl, or - for stdout)")
    if args.output == "-":
        return
    if Path(args.output).suffix.lower() not in OUTPUT_SUFFIXES:
        raise ConfigError(f"--output {args.output}: use a .csv or .jsonl file, or - for stdout")
    check_output_path(args.output, inputs=[args.input, args.model, args.thresholds], overwrite=args.overwrite)


def is_jsonl(output: str) -> bool:
    return output == "-" or Path(output).suffix.lower() == ".jsonl"


def output_columns(columns: list[str], labels: list[str], jsonl: bool) -> tuple[list[str], list[str]]:
    """(input columns kept, earlier prediction fields replaced). An input column named like a prediction field,
    without being part of an earlier prediction, is an error: neither may silently replace the other."""
    if PREDICTED_LABELS in columns:
        replaced = [c for c in columns if c in (PREDICTED_LABELS, PREDICTED_SCORES) or c.startswith(SCORE_PREFIX)]
        return [c for c in columns if c not in replaced], replaced
    added = {PREDICTED_SCORES} if jsonl else {SCORE_PREFIX + label for label in labels}
    clash = [c for c in columns if c in added]
    if clash:
        raise ConfigError(f"the input has a column {clash[0]!r}, a name that predictions write (hint: rename that "
                          f"column; predictions add {PREDICTED_LABELS} and "
                          + (f"{PREDICTED_SCORES})" if jsonl else f"{SCORE_PREFIX}<label> per label)"))
    return list(columns), []


def predict_texts(classifier, texts: list[str], languages: list[str | None], thresholds, **options: Any
                  ) -> tuple[list[dict], int]:
    """Predictions in input order, and how many texts were empty (they get no labels and no scores)."""
    keep = [i for i, text in enumerate(texts) if text.strip()]
    results: list[dict] = [{"labels": [], "scores": dict.fromkeys(classifier.labels)} for _ in texts]
    if keep:
        found = classifier.predict([texts[i] for i in keep], thresholds=thresholds,
                                   languages=[languages[i] for i in keep] if any(languages) else None, **options)
        for i, result in zip(keep, found):
            results[i] = result
    return results, len(texts) - len(keep)


def _cell(value: Any) -> str:
    """A CSV cell: text as it is, numbers as written, lists and objects (from JSON input) as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list, tuple, bool)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def write_outputs(path: str, records: list[dict], columns: list[str], results: list[dict], labels: list[str]
                  ) -> list[str]:
    """CSV: the input columns, predicted_labels (joined by |) and p_<label>; JSON lines: each input record with
    predicted_labels and predicted_scores. Every CSV row has the header's number of fields. Written atomically; `-`
    writes JSON lines to stdout. Returns the fields of an earlier prediction that were replaced."""
    jsonl = is_jsonl(path)
    kept, replaced = output_columns(columns, labels, jsonl)
    if jsonl:
        lines = (json.dumps({**{c: record[c] for c in kept if c in record}, PREDICTED_LABELS: result["labels"],
                             PREDICTED_SCORES: result["scores"]}, ensure_ascii=False)
                 for record, result in zip(records, results))
        if path == "-":
            for line in lines:
                print(line)
        else:
            with atomic_file(path, encoding="utf-8", newline="\n") as handle:
                handle.writelines(line + "\n" for line in lines)
        return replaced
    with atomic_file(path, newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*kept, PREDICTED_LABELS, *(SCORE_PREFIX + label for label in labels)])
        for record, result in zip(records, results):
            scores = result["scores"]
            writer.writerow([*(_cell(record.get(c)) for c in kept), "|".join(result["labels"]),
                             *("" if scores.get(label) is None else f"{scores[label]:.6f}" for label in labels)])
    return replaced


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_dataclass_cli(
        PredictArgs, "python -m mlc.predict",
        "Label texts with a bundle: per-label probabilities and the predicted label set, in input order. Texts are "
        "batched by length with dynamic padding; long texts are truncated or scored in overlapping windows. Each "
        "input record is written with the fields predicted_labels and p_<label> (CSV) or predicted_labels and "
        "predicted_scores (JSON lines); an earlier prediction's fields in the input are replaced. Exit code 2 on "
        "bad input.",
        [(PredictArgs, "prediction")], argv)
    args.validate_inference()
    check_output(args)
    from .evaluation import read_thresholds
    from .inference import Classifier

    records, texts, languages, columns = read_inputs(args)
    classifier = Classifier.load(args.model, args.device, args.cache_dir, args.precision)
    output_columns(columns, classifier.labels, is_jsonl(args.output))  # before any text is scored
    thresholds = read_thresholds(args.thresholds, classifier)
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


if __name__ == "__main__":
    sys.exit(run_cli(main))
