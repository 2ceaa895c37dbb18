"""Files in and out of prediction: texts (with every input field kept) from CSV, TSV, JSON lines, JSON, .txt or
stdin, and predictions written beside them as CSV or JSON lines. The CLI and the demo's batch tab share them."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

from mlc.core.atomic import atomic_file
from mlc.core.errors import ConfigError
from mlc.data.args import InputArgs
from mlc.data.loader import LANGUAGE_COLUMNS, TEXT_COLUMNS, pick_column
from mlc.data.readers import data_suffix, read_lines, read_table, split_lines

TEXT_SUFFIXES = (".txt",)
OUTPUT_SUFFIXES = (".csv", ".jsonl")
# The fields a prediction adds to each input record: predicted_labels, and per label p_<label> (CSV) or
# predicted_scores {label: p} (JSON lines). An input that has predicted_labels holds an earlier prediction, whose
# fields (predicted_labels, predicted_scores, every p_*) are replaced as a whole.
PREDICTED_LABELS, PREDICTED_SCORES, SCORE_PREFIX = "predicted_labels", "predicted_scores", "p_"


def read_inputs(source: str | None, args: InputArgs
                ) -> tuple[list[dict[str, Any]], list[str], list[str | None], list[str]]:
    """(records, texts, languages, columns) of `source` (a file, or - for stdin) in input order. Records keep every
    input column for the output."""
    if source is None:
        raise ConfigError("no input given (hint: --input FILE, or --input - to read one text per line from stdin)")
    if source == "-" or data_suffix(Path(source)) in TEXT_SUFFIXES:
        lines = split_lines(sys.stdin.read()) if source == "-" else read_lines(source, args.encoding)
        return [{"text": line} for line in lines], lines, [None] * len(lines), ["text"]
    named = {c for c in (args.text_column, args.language_column) if c}
    table = read_table(source, encoding=args.encoding, known_columns={*TEXT_COLUMNS, *named})
    text_column = pick_column(table, args.text_column, TEXT_COLUMNS, "text", "--text-column", required=True)
    language_column = pick_column(table, args.language_column, LANGUAGE_COLUMNS, "language", "--language-column",
                                  required=False)
    texts = [_text_of(r.get(text_column)) for r in table.rows]
    languages = [(_text_of(r.get(language_column)) or None) if language_column else None for r in table.rows]
    return table.rows, texts, languages, table.columns


def _text_of(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


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


