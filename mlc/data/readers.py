"""Read one data file (CSV, TSV, JSONL, JSON, Parquet) or a `save_to_disk` folder into a `Table` of raw rows.

Every row keeps its location (a 1-based line number for text formats, `row N` otherwise) so that later stages can
name it in an error.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlc.core.chunking import CHUNK_ROWS, batched
from mlc.core.errors import (
    ColumnError,
    DataError,
    DecodeError,
    QuotingError,
    UnknownFormatError,
)
from mlc.data.textfiles import COMPRESSED, iter_lines, read_bytes, strip_line_end, text_blocks, text_lines

FORMATS = ("csv", "tsv", "jsonl", "json", "parquet")
EXTENSIONS = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
    ".parquet": "parquet", ".pq": "parquet",
}
_LONE_CR = re.compile(r"\r(?!\n)")
csv.field_size_limit(1 << 28)


@dataclass
class Table:
    """Rows of one source file, with their locations and the column names in file order."""

    path: str
    columns: list[str]
    rows: list[dict[str, Any]]
    locations: list[int | str]  # int: a line number; str: e.g. "row 7"
    has_header: bool = True
    skipped_lines: list[int] = field(default_factory=list)

    @property
    def first_row(self) -> dict[str, Any] | None:
        return self.rows[0] if self.rows else None


def data_suffix(path: Path) -> str:
    """The extension that names the format, under a .gz: ".csv" for both data.csv and data.csv.gz."""
    suffixes = [x.lower() for x in path.suffixes]
    if suffixes and suffixes[-1] == COMPRESSED:
        return suffixes[-2] if len(suffixes) > 1 else ""
    return path.suffix.lower()


def data_stem(path: Path) -> str:
    """The name without its format extension (and .gz): "eng" for eng.csv and eng.csv.gz."""
    name = path.name[: -len(COMPRESSED)] if path.name.lower().endswith(COMPRESSED) else path.name
    return Path(name).stem


def detect_format(path: Path, fmt: str | None = None) -> str:
    if fmt and fmt != "auto":
        if fmt not in FORMATS:
            raise UnknownFormatError(f"unknown format {fmt!r}", path=str(path), hint=f"use one of {', '.join(FORMATS)}")
        return fmt
    suffix = data_suffix(path)
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    raise UnknownFormatError(
        f"cannot tell the format from the extension {suffix or '(none)'!r}", path=str(path),
        hint=f"rename the file (one of {', '.join(sorted(EXTENSIONS))}, optionally + .gz) or pass format= one of "
             f"{', '.join(FORMATS)} (--format)",
    )


def _looks_like_header(fields: list[str], known_names: set[str]) -> bool:
    return any(f.strip().lower() in known_names for f in fields)


def _sniff_delimiter(first_line: str, kind: str) -> str:
    """Tab for TSV; for CSV a comma, or a semicolon when the first line has semicolons and no comma or tab (the CSV
    of spreadsheets in many locales)."""
    if kind == "tsv":
        return "\t"
    return ";" if ";" in first_line and "," not in first_line and "\t" not in first_line else ","


def _format_name(delimiter: str) -> str:
    return {"\t": "TSV", ",": "CSV"}.get(delimiter, f"{delimiter!r}-delimited")


def _parse_records(path: Path, lines: Iterator[str], delimiter: str, quoting: bool
                   ) -> Iterator[tuple[int, list[str]]]:
    """(first line number, fields) of every non-blank record. A quote that does not close a field cleanly is a
    QuotingError: read leniently, it would merge rows or drop quote characters from the text."""
    # The csv module ends a line at a lone \r too; a lone \r inside a line is text here (a writer with \n line
    # ends leaves it unquoted), so it is kept in its field. NUL, refused when decoding, stands in for it.
    def guarded(source: Iterator[str]) -> Iterator[str]:
        for line in source:
            body = strip_line_end(line)
            yield _LONE_CR.sub("\x00", body) + line[len(body):] if "\r" in body else line

    reader = csv.reader(guarded(lines), delimiter=delimiter,
                        quoting=csv.QUOTE_MINIMAL if quoting else csv.QUOTE_NONE, strict=quoting)
    start = 1
    try:
        for fields in reader:
            if any(x.strip() for x in fields):
                yield start, [x.replace("\x00", "\r") for x in fields]
            start = reader.line_num + 1
    except csv.Error as err:
        raise QuotingError(
            f"a quote character opens a field that does not close cleanly ({err} by line {reader.line_num})",
            path=str(path), line=start,
            hint="if quote characters are plain text in this file, pass quoting=False (--quoting false); else fix the "
                 "quotes on that line",
        ) from None


def _check_merged_rows(path: Path, line: int, fields: list[str], delimiter: str, width: int) -> None:
    """A quoted field that runs over several lines, one of which is a whole row of the file (a table of 3+
    columns), is rows merged by a stray quote: refused. Any other quoted field, as a CSV writer quotes a text with
    line ends and delimiters in it, is text."""
    for value in fields:
        if ("\n" not in value and "\r" not in value) or delimiter not in value:
            continue
        parts = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if width >= 3 and any(len(p.split(delimiter)) == width for p in parts[1:]):
            raise QuotingError(
                f"a quoted field runs over {len(parts)} lines and holds {_format_name(delimiter)} delimiters: "
                "a stray quote character has probably merged rows", path=str(path), line=line,
                hint="if quote characters are plain text in this file, pass quoting=False (--quoting false); "
                     "else fix the quote that opens that field",
            )


def _header_names(path: Path, fields: list[str], columns: list[str] | None) -> list[str]:
    names = list(columns) if columns else [n.strip() for n in fields]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ColumnError("the header names a column twice", path=str(path), line=1, column=name)
        seen.add(name)
    return names


@dataclass
class Chunk:
    """Consecutive rows of one file, with their locations (int: a line number; str: e.g. "row 7")."""

    rows: list[dict[str, Any]]
    locations: list[int | str]


@dataclass
class TableStream:
    """A file read in chunks of rows as it is iterated, so that memory does not grow with the file. `columns` is
    complete once the first chunk is out for CSV, TSV and Parquet, and once the last is for JSON lines (the union
    of every record's keys); `skipped_lines` grows as lines are skipped."""

    path: str
    chunks: Iterator[Chunk]
    columns: list[str] = field(default_factory=list)
    has_header: bool = True
    skipped_lines: list[int] = field(default_factory=list)

    def __iter__(self) -> Iterator[Chunk]:
        return self.chunks


def _in_chunks(items: Iterator[tuple[int | str, dict[str, Any]]], size: int) -> Iterator[Chunk]:
    for block in batched(items, size):
        yield Chunk([row for _, row in block], [location for location, _ in block])


def _delimited_rows(stream: TableStream, kind: str, encoding: str, header: bool | None, known: set[str],
                    columns: list[str] | None, quoting: bool, bad_lines: str, delimiter: str | None
                    ) -> Iterator[tuple[int, dict[str, Any]]]:
    path = Path(stream.path)
    lines, leading = text_lines(path, encoding), []
    for line in lines:  # up to the first line that is not blank, which the delimiter is sniffed from
        leading.append(line)
        if line.strip():
            break
    delimiter = delimiter or _sniff_delimiter(leading[-1].strip() if leading else "", kind)
    records = _parse_records(path, itertools.chain(leading, lines), delimiter, quoting)
    head = next(records, None)
    if head is None:
        raise DataError("file has no rows", path=str(path))
    if header is None:
        header = columns is None and _looks_like_header(head[1], known)
    stream.has_header = header
    if header:
        names = _header_names(path, head[1], columns)
    else:
        names = _header_names(path, [f"column{i + 1}" for i in range(len(head[1]))], columns)
        records = itertools.chain([head], records)
    stream.columns = names
    count = 0
    for line, fields in records:
        if quoting:
            _check_merged_rows(path, line, fields, delimiter, len(names))
        if len(fields) != len(names):
            if bad_lines == "skip":
                stream.skipped_lines.append(line)
                continue
            hint = "fix the quoting or delimiter on that line, or pass bad_lines='skip' (--bad-lines skip) to " \
                   "drop such lines and count them"
            if len(names) == 1 and delimiter == ",":
                hint = "is the file delimited by something else than commas? pass delimiter= (--delimiter); " + hint
            raise DataError(f"has {len(fields)} fields but the header has {len(names)}", path=str(path), line=line,
                            hint=hint)
        count += 1
        yield line, dict(zip(names, fields, strict=True))
    if not count and header:
        raise DataError("has a header line but no rows", path=str(path), hint="add rows below the header")


class DuplicateKey(ValueError):
    """A JSON object that names one key twice (json.loads would keep the last value and lose the first)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    record = dict(pairs)
    if len(record) != len(pairs):
        seen: set[str] = set()
        raise DuplicateKey(next(k for k, _ in pairs if k in seen or seen.add(k)))
    return record


def _duplicate_error(path: Path, err: DuplicateKey, line: int | None) -> DataError:
    return DataError(f"an object names the key {err.key!r} twice, so one of its values would be lost", path=str(path),
                     line=line, hint="give each column (key) a distinct name")


def load_json(text: str) -> Any:
    """json.loads that refuses an object with a repeated key (DuplicateKey) instead of keeping its last value."""
    return json.loads(text, object_pairs_hook=_unique_keys)


def _jsonl_rows(stream: TableStream, encoding: str, bad_lines: str) -> Iterator[tuple[int, dict[str, Any]]]:
    path, columns, count = Path(stream.path), {}, 0
    for number, line in enumerate(iter_lines(path, encoding), start=1):
        if not line.strip():
            continue
        try:
            record = load_json(line)
        except DuplicateKey as err:
            raise _duplicate_error(path, err, number) from None
        except ValueError as err:
            if bad_lines == "skip":
                stream.skipped_lines.append(number)
                continue
            raise DataError(f"invalid JSON ({err.msg} at character {err.colno})", path=str(path), line=number,
                            hint="each line must be one JSON object; or pass bad_lines='skip'") from err
        if not isinstance(record, dict):
            raise DataError("each line must be a JSON object", path=str(path), line=number)
        if record.keys() - columns.keys():
            columns.update(dict.fromkeys(record))
            stream.columns = list(columns)
        count += 1
        yield number, record
    if not count:
        raise DataError("file has no rows", path=str(path))


def _checked_records(path: Path, records: Iterator[Any], what: str, stream: TableStream
                     ) -> Iterator[tuple[str, dict[str, Any]]]:
    columns, count = dict.fromkeys(stream.columns), 0
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            raise DataError(f"is {type(record).__name__}, not an object", path=str(path), line=f"{what} {i + 1}",
                            hint="each record is one object, e.g. {\"text\": ..., \"labels\": [...]}")
        if record.keys() - columns.keys():
            columns.update(dict.fromkeys(record))
            stream.columns = list(columns)
        count += 1
        yield f"{what} {i + 1}", record
    if not count:
        raise DataError("file has no rows", path=str(path))


def _json_records(path: Path, encoding: str) -> list[Any]:
    text = "".join(text_blocks(path, encoding))
    try:
        payload = load_json(text)
    except DuplicateKey as err:
        raise _duplicate_error(path, err, None) from None
    except ValueError as err:
        raise DataError(f"invalid JSON ({err.msg})", path=str(path), line=getattr(err, "lineno", None),
                        hint="a .json file holds a list of objects; use .jsonl for one object per line") from err
    if isinstance(payload, dict):
        lists = [v for v in payload.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise DataError("a JSON object must hold exactly one list of records", path=str(path),
                            hint="write a list of objects, e.g. [{\"text\": ..., \"labels\": [...]}]")
        payload = lists[0]
    if not isinstance(payload, list):
        raise DataError("JSON must be a list of objects", path=str(path))
    return payload


def _parquet_records(path: Path, stream: TableStream, size: int) -> Iterator[dict[str, Any]]:
    import pyarrow.parquet as pq

    if not path.is_file():
        read_bytes(path)  # the same errors as the other formats
    try:
        source = pq.ParquetFile(path)
        stream.columns = list(source.schema_arrow.names)
    except Exception as err:  # pyarrow raises several types for a damaged file
        raise DataError(f"cannot read Parquet ({err})", path=str(path)) from err
    repeated = sorted({name for name in stream.columns if stream.columns.count(name) > 1})
    if repeated:
        raise DataError(f"has more than one column named {repeated[0]!r}, so one of them would be lost",
                        path=str(path), hint="give each column a distinct name")
    try:
        for batch in source.iter_batches(batch_size=size):
            yield from batch.to_pylist()
    except Exception as err:  # pyarrow raises several types for a damaged file
        raise DataError(f"cannot read Parquet ({err})", path=str(path)) from err


def _nul_free(path: Path, items: Iterator[tuple[Any, dict[str, Any]]]) -> Iterator[tuple[Any, dict[str, Any]]]:
    """NUL characters in a cell (a JSON "\\u0000", a Parquet string) would pass into the text unnoticed."""
    for where, row in items:
        for column, value in row.items():
            if isinstance(value, str) and "\x00" in value:
                raise DecodeError("holds a NUL character", path=str(path), line=where, column=column,
                                  hint="remove it; a text has none")
        yield where, row


def stream_table(path: str | Path, *, fmt: str | None = None, encoding: str = "utf-8", header: bool | None = None,
                 columns: list[str] | None = None, quoting: bool = True, bad_lines: str = "error",
                 known_columns: set[str] = frozenset(), delimiter: str | None = None, chunk_rows: int = CHUNK_ROWS
                 ) -> TableStream:
    """One file (optionally gzipped) as a `TableStream` of chunks of `chunk_rows` rows, read as it is iterated
    (a .json list is read whole; CSV, TSV, JSON lines and Parquet are not). Options as in `read_table`."""
    path = Path(path)
    kind = detect_format(path, fmt)
    stream = TableStream(str(path), iter(()))
    if kind in ("csv", "tsv"):
        rows = _delimited_rows(stream, kind, encoding, header, known_columns, columns, quoting, bad_lines, delimiter)
    elif kind == "jsonl":
        rows = _nul_free(path, _jsonl_rows(stream, encoding, bad_lines))
    elif kind == "json":
        rows = _nul_free(path, _checked_records(path, iter(_json_records(path, encoding)), "record", stream))
    else:
        rows = _nul_free(path, _checked_records(path, _parquet_records(path, stream, chunk_rows), "row", stream))
    stream.chunks = _in_chunks(rows, chunk_rows)
    return stream


def read_table(path: str | Path, *, fmt: str | None = None, encoding: str = "utf-8", header: bool | None = None,
               columns: list[str] | None = None, quoting: bool = True, bad_lines: str = "error",
               known_columns: set[str] = frozenset(), delimiter: str | None = None) -> Table:
    """Read one file (optionally gzipped). `header=None` guesses whether the first line of a CSV/TSV names columns
    (it does when one of its fields is a known column name); `columns` names the columns of a headerless file;
    `delimiter` overrides the CSV/TSV delimiter (default: tab for TSV; comma for CSV, or a semicolon when the first
    line has semicolons and no commas)."""
    stream = stream_table(path, fmt=fmt, encoding=encoding, header=header, columns=columns, quoting=quoting,
                          bad_lines=bad_lines, known_columns=known_columns, delimiter=delimiter, chunk_rows=1 << 30)
    chunks = list(stream)
    rows = [row for chunk in chunks for row in chunk.rows]
    locations = [where for chunk in chunks for where in chunk.locations]
    return Table(stream.path, stream.columns, rows, locations, stream.has_header, stream.skipped_lines)


def read_saved_dataset(path: Path) -> dict[str, Table]:
    """Read a folder written by `datasets.Dataset(Dict).save_to_disk`: one Table per split."""
    from datasets import Dataset, DatasetDict, load_from_disk

    try:
        loaded = load_from_disk(str(path))
    except Exception as err:
        raise DataError(f"cannot load a saved dataset ({err})", path=str(path)) from err
    splits = loaded if isinstance(loaded, DatasetDict) else {"train": loaded}
    tables = {}
    for name, ds in splits.items():
        assert isinstance(ds, Dataset)
        tables[name] = Table(f"{path}[{name}]", list(ds.column_names), ds.to_list(),
                             [f"row {i + 1}" for i in range(len(ds))])
    return tables
