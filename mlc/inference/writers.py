"""Predictions written beside their input records, as CSV, JSON lines or Parquet, a chunk of rows at a time.

CSV: the input columns, predicted_labels (joined by |) and p_<label> per label; JSON lines: each input record with
predicted_labels and predicted_scores {label: p}; Parquet: the input columns, predicted_labels (a list) and
p_<label>; with explanations (predict --explain K), predicted_words too ({label: [[word, effect], ...]}, JSON in CSV
and Parquet). An input that has predicted_labels holds an earlier prediction, whose fields (predicted_labels,
predicted_scores, predicted_words, every p_*) are replaced as a whole. A chunk renders to bytes on its own, so that chunks written
apart (by a resumed run, or by several processes) join into the same file as one uninterrupted run would write."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlc.core.atomic import atomic_file
from mlc.core.errors import ConfigError
from mlc.core.numbers import exact_float

OUTPUT_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".parquet": "parquet"}
PREDICTED_LABELS, PREDICTED_SCORES, SCORE_PREFIX = "predicted_labels", "predicted_scores", "p_"
PREDICTED_WORDS = "predicted_words"  # with --explain K: {label: [[word, effect], ...]} per predicted label


def output_format(path: str) -> str:
    """csv, jsonl or parquet, from the output's extension (`-`: JSON lines on stdout)."""
    if path == "-":
        return "jsonl"
    suffix = Path(path).suffix.lower()
    if suffix not in OUTPUT_FORMATS:
        raise ConfigError(f"--output {path}: use a .csv, .jsonl or .parquet file, or - for stdout")
    return OUTPUT_FORMATS[suffix]


@dataclass(frozen=True)
class Layout:
    """What each output row holds: the input columns kept, the labels, and an earlier prediction's fields that this
    one replaces."""

    fmt: str
    kept: tuple[str, ...]
    labels: tuple[str, ...]
    replaced: tuple[str, ...] = ()
    explained: bool = False

    @classmethod
    def of(cls, columns: Sequence[str], labels: Sequence[str], fmt: str, explained: bool = False) -> Layout:
        """An input column named like a prediction field, without being part of an earlier prediction, is an error:
        neither may silently replace the other."""
        if PREDICTED_LABELS in columns:
            replaced = [c for c in columns if c in (PREDICTED_LABELS, PREDICTED_SCORES, PREDICTED_WORDS)
                        or c.startswith(SCORE_PREFIX)]
            return cls(fmt, tuple(c for c in columns if c not in replaced), tuple(labels), tuple(replaced), explained)
        added = {PREDICTED_SCORES} if fmt == "jsonl" else {SCORE_PREFIX + label for label in labels}
        added |= {PREDICTED_WORDS} if explained else set()
        clash = [c for c in columns if c in added]
        if clash:
            raise ConfigError(f"the input has a column {clash[0]!r}, a name that predictions write (hint: rename that "
                              f"column; predictions add {PREDICTED_LABELS} and "
                              + (f"{PREDICTED_SCORES})" if fmt == "jsonl" else f"{SCORE_PREFIX}<label> per label)"))
        return cls(fmt, tuple(columns), tuple(labels), explained=explained)

    def header(self) -> bytes:
        """The bytes before the first chunk (a CSV header line; nothing for the other formats)."""
        if self.fmt != "csv":
            return b""
        return _csv_bytes([[*self.kept, PREDICTED_LABELS, *(SCORE_PREFIX + label for label in self.labels),
                            *([PREDICTED_WORDS] if self.explained else [])]])

    def render(self, records: Sequence[dict], results: Sequence[dict]) -> bytes:
        """One chunk of output rows: CSV or JSON lines text, or a Parquet file of its own."""
        if self.fmt == "jsonl":
            return "".join(json.dumps({**{c: r[c] for c in self.kept if c in r}, PREDICTED_LABELS: result["labels"],
                                       PREDICTED_SCORES: result["scores"], **self._words(result)},
                                      ensure_ascii=False) + "\n"
                           for r, result in zip(records, results, strict=True)).encode("utf-8")
        if self.fmt == "csv":
            return _csv_bytes([*(_cell(r.get(c)) for c in self.kept), "|".join(result["labels"]),
                               *("" if result["scores"].get(label) is None else exact_float(result["scores"][label])
                                 for label in self.labels), *map(_cell, self._words(result).values())]
                              for r, result in zip(records, results, strict=True))
        return self._parquet(records, results)

    def _words(self, result: dict) -> dict[str, dict]:
        """{predicted_words: the result's explanation} when this layout explains, else nothing."""
        return {PREDICTED_WORDS: result.get("words", {})} if self.explained else {}

    def _parquet(self, records: Sequence[dict], results: Sequence[dict]) -> bytes:
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns: dict[str, Any] = {c: [r.get(c) for r in records] for c in self.kept}
        columns[PREDICTED_LABELS] = pa.array([result["labels"] for result in results], pa.list_(pa.string()))
        for label in self.labels:
            columns[SCORE_PREFIX + label] = pa.array([result["scores"].get(label) for result in results],
                                                     pa.float32())
        if self.explained:
            columns[PREDICTED_WORDS] = [_cell(self._words(result)[PREDICTED_WORDS]) for result in results]
        try:
            table = pa.table(columns)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
            raise _mixed_types(err) from None
        buffer = io.BytesIO()
        pq.write_table(table, buffer)
        return buffer.getvalue()


def _cell(value: Any) -> str:
    """A CSV cell: text as it is, numbers as written, lists and objects (from JSON input) as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list, tuple, bool)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _csv_bytes(rows: Iterable[list[str]]) -> bytes:
    """Rows as CSV (every row with the header's number of fields, \\r\\n line ends)."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def join_chunks(layout: Layout, chunks: Sequence[Path], target: str) -> None:
    """The output file from chunk files in order, written atomically (readers never see part of it). Parquet chunks
    become the row groups of one file, their column types unified (a column empty in one chunk takes the type it
    has in the others)."""
    if layout.fmt == "parquet":
        _join_parquet(chunks, target)
        return
    with atomic_file(target, mode="wb") as handle:
        handle.write(layout.header())
        for chunk in chunks:
            with chunk.open("rb") as source:
                shutil.copyfileobj(source, handle, 1 << 20)


def _join_parquet(chunks: Sequence[Path], target: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pa.unify_schemas([pq.read_schema(chunk) for chunk in chunks], promote_options="permissive")
        with atomic_file(target, mode="wb") as handle, pq.ParquetWriter(handle, schema) as writer:
            for chunk in chunks:
                writer.write_table(pq.read_table(chunk).cast(schema))
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as err:
        raise _mixed_types(err) from None


def _mixed_types(err: Exception) -> ConfigError:
    return ConfigError(f"a column of the input holds values of different types in different rows, which one Parquet "
                       f"column cannot ({err}) (hint: write .jsonl or .csv instead)")


def write_outputs(path: str, records: list[dict], columns: list[str], results: list[dict], labels: list[str]
                  ) -> list[str]:
    """Predictions of records held in memory, written at once (atomically; `-`: JSON lines on stdout). Returns the
    fields of an earlier prediction that were replaced."""
    layout = Layout.of(columns, labels, output_format(path))
    body = layout.header() + layout.render(records, results)
    if path == "-":
        sys.stdout.write(body.decode("utf-8"))
    else:
        with atomic_file(path, mode="wb") as handle:
            handle.write(body)
    return list(layout.replaced)
