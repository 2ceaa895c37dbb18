"""`python -m mlc.predict`: label texts from a file or stdin with a bundle, writing CSV or JSON lines."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .atomic import atomic_file
from .cli import parse_dataclass_cli, run_cli
from .errors import ConfigError
from .inference_args import PredictArgs

TEXT_SUFFIXES = (".txt",)


def read_inputs(args: PredictArgs) -> tuple[list[dict[str, Any]], list[str], list[str | None], list[str]]:
    """(records, texts, languages, columns) in input order. Records keep every input column for the output."""
    from .data.loader import LANGUAGE_COLUMNS, TEXT_COLUMNS, pick_column
    from .data.readers import read_table

    if args.input is None:
        raise ConfigError("no input given (hint: --input FILE, or --input - to read one text per line from stdin)")
    if args.input == "-" or Path(args.input).suffix.lower() in TEXT_SUFFIXES:
        if args.input == "-":
            lines = sys.stdin.read().splitlines()
        else:
            path = Path(args.input)
            if not path.is_file():
                from .errors import MissingFileError

                raise MissingFileError("no such file", path=str(path))
            lines = path.read_text(args.encoding).splitlines()
        records = [{"text": line} for line in lines]
        return records, lines, [None] * len(lines), ["text"]
    named = {c for c in (args.text_column, args.language_column) if c}
    table = read_table(args.input, encoding=args.encoding, known_columns={*TEXT_COLUMNS, *named})
    text_column = pick_column(table, args.text_column, TEXT_COLUMNS, "text", "--text-column", required=True)
    language_column = pick_column(table, args.language_column, LANGUAGE_COLUMNS, "language", "--language-column",
                            required=False)
    texts = ["" if r.get(text_column) is None else str(r[text_column]) for r in table.rows]
    languages = [r.get(language_column) if language_column else None for r in table.rows]
    return table.rows, texts, languages, table.columns


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


def write_outputs(path: str, records: list[dict], columns: list[str], results: list[dict], labels: list[str]) -> None:
    """CSV: the input columns, predicted_labels (joined by |) and p_<label>; JSON lines: each input record with
    `labels` and `scores`. Written atomically; `-` writes JSON lines to stdout."""
    rows = [{**record, "labels": r["labels"], "scores": r["scores"]} for record, r in zip(records, results)]
    if path == "-":
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return
    suffix = Path(path).suffix.lower()
    with atomic_file(path, newline="" if suffix == ".csv" else None, encoding="utf-8") as handle:
        if suffix == ".jsonl":
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            return
        writer = csv.writer(handle)
        extra = [c for c in ("predicted_labels", *[f"p_{label}" for label in labels]) if c not in columns]
        writer.writerow([*columns, *extra])
        for record, result in zip(records, results):
            scores = result["scores"]
            writer.writerow([*(record.get(c, "") for c in columns), "|".join(result["labels"]),
                             *("" if scores.get(label) is None else f"{scores[label]:.6f}" for label in labels)])


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_dataclass_cli(
        PredictArgs, "python -m mlc.predict",
        "Label texts with a bundle: per-label probabilities and the predicted label set, in input order. Texts are "
        "batched by length with dynamic padding; long texts are truncated or scored in overlapping windows. Exit "
        "code 2 on bad input.",
        [(PredictArgs, "prediction")], argv)
    args.validate_inference()
    if args.output is None:
        raise ConfigError("no output given (hint: --output predictions.csv, predictions.jsonl, or - for stdout)")
    if args.output != "-" and Path(args.output).suffix.lower() not in (".csv", ".jsonl"):
        raise ConfigError(f"--output {args.output}: use a .csv or .jsonl file, or - for stdout")
    from .evaluation import read_thresholds
    from .inference import Classifier

    records, texts, languages, columns = read_inputs(args)
    classifier = Classifier.load(args.model, args.device, args.cache_dir, args.precision)
    thresholds = read_thresholds(args.thresholds, classifier)
    results, empty = predict_texts(classifier, texts, languages, thresholds, batch_size=args.batch_size,
                                   long_text=args.long_text, stride=args.stride, aggregate=args.aggregate,
                                   progress=args.progress)
    if empty:
        first = next(i for i, text in enumerate(texts) if not text.strip())
        print(f"mlc: {empty} empty texts (first: row {first + 1}) get no labels and no scores", file=sys.stderr)
    write_outputs(args.output, records, columns, results, classifier.labels)
    if args.output != "-":
        print(f"mlc: wrote {len(results)} predictions to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
