"""Texts to predict, read from CSV, TSV, JSON lines, JSON, Parquet or .txt files (and their .gz forms) or stdin,
in chunks of rows with every input field kept for the output. The CLI, the demo's batch tab and the exporter's check
texts share them; mlc.inference.prediction turns their texts into output rows."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlc.core.chunking import CHUNK_ROWS, batched
from mlc.core.errors import ConfigError, MlcError
from mlc.core.fingerprint import check_unchanged, file_stamp
from mlc.data.args import InputArgs
from mlc.data.loader import LANGUAGE_COLUMNS, TEXT_COLUMNS, pick_column
from mlc.data.readers import Table, data_suffix, stream_table
from mlc.data.textfiles import iter_lines, split_lines

TEXT_SUFFIXES = (".txt",)


@dataclass
class InputChunk:
    """Consecutive input rows: `start` is the 0-based row number of the first."""

    index: int
    start: int
    records: list[dict[str, Any]]
    texts: list[str]
    languages: list[str | None]


@dataclass
class Inputs:
    """An input source read as it goes: `columns` (complete for CSV, TSV and Parquet from the start; for JSON lines,
    the keys seen so far) and its chunks."""

    source: str
    columns: list[str]
    chunks: Iterator[InputChunk]

    def __iter__(self) -> Iterator[InputChunk]:
        return self.chunks


def _is_lines(source: str) -> bool:
    return source == "-" or data_suffix(Path(source)) in TEXT_SUFFIXES


def open_inputs(source: str | None, args: InputArgs, chunk_rows: int = CHUNK_ROWS) -> Inputs:
    """`source` (a file, or - for one text per line on stdin) in chunks of `chunk_rows` rows, in input order."""
    if source is None:
        raise ConfigError("no input given (hint: --input FILE, or --input - to read one text per line from stdin)")
    if _is_lines(source):
        lines = iter(split_lines(sys.stdin.read())) if source == "-" else iter_lines(source, args.encoding)
        return Inputs(source, ["text"], _line_chunks(lines, chunk_rows))
    named = {c for c in (args.text_column, args.language_column) if c}
    table = stream_table(source, encoding=args.encoding, known_columns={*TEXT_COLUMNS, *named},
                         chunk_rows=chunk_rows)
    inputs = Inputs(source, table.columns, iter(()))

    def chunks() -> Iterator[InputChunk]:
        start, text_column, language_column = 0, None, None
        for index, chunk in enumerate(table):
            inputs.columns = table.columns
            if index == 0:  # the columns are known once the first chunk is read
                view = Table(table.path, table.columns, chunk.rows[:1], [], table.has_header)
                text_column = pick_column(view, args.text_column, TEXT_COLUMNS, "text", "--text-column",
                                          required=True)
                language_column = pick_column(view, args.language_column, LANGUAGE_COLUMNS, "language",
                                              "--language-column", required=False)
            texts = [_text_of(r.get(text_column)) for r in chunk.rows]
            languages = [(_text_of(r.get(language_column)) or None) if language_column else None
                         for r in chunk.rows]
            yield InputChunk(index, start, chunk.rows, texts, languages)
            start += len(chunk.rows)
        inputs.columns = table.columns

    inputs.chunks = chunks()
    return inputs


def _line_chunks(lines: Iterator[str], size: int) -> Iterator[InputChunk]:
    for index, block in enumerate(batched(lines, size)):
        yield InputChunk(index, index * size, [{"text": line} for line in block], block, [None] * len(block))


def _text_of(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class Survey:
    """A first pass over an input file: its rows, every column (for a header written before the rows) and what the
    file held (size, modification time, digest: the scoring pass must read the same bytes)."""

    rows: int
    columns: list[str]
    stamp: tuple[int, int, str]

    def check_unchanged(self, source: str) -> None:
        check_unchanged(source, self.stamp)


def survey_inputs(source: str, args: InputArgs, chunk_rows: int = CHUNK_ROWS) -> Survey:
    """Read `source` through once without keeping its rows: how many there are, and all their columns. Every problem
    with the file (a bad line, a missing text column) is found here, before a model is loaded."""
    survey = Survey(0, [], file_stamp(source))
    try:
        inputs = open_inputs(source, args, chunk_rows)
        rows = sum(len(chunk.records) for chunk in inputs)
    except MlcError:
        survey.check_unchanged(source)
        raise
    survey.check_unchanged(source)
    return Survey(rows, list(inputs.columns), survey.stamp)


def read_inputs(source: str | None, args: InputArgs
                ) -> tuple[list[dict[str, Any]], list[str], list[str | None], list[str]]:
    """(records, texts, languages, columns) of `source`, all in memory, in input order."""
    inputs = open_inputs(source, args, chunk_rows=1 << 30)
    chunks = list(inputs)
    return ([r for c in chunks for r in c.records], [t for c in chunks for t in c.texts],
            [x for c in chunks for x in c.languages], list(inputs.columns))
