"""Read one data file (CSV, TSV, JSONL, JSON, Parquet) or a `save_to_disk` folder into a `Table` of raw rows.

Every row keeps its location (a 1-based line number for text formats, `row N` otherwise) so that later stages can
name it in an error.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlc.core.errors import (
    ColumnError,
    DataError,
    DecodeError,
    FileAccessError,
    MissingFileError,
    QuotingError,
    UnknownFormatError,
)

FORMATS = ("csv", "tsv", "jsonl", "json", "parquet")
EXTENSIONS = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
    ".parquet": "parquet", ".pq": "parquet",
}
_LONE_CR = re.compile(r"\r(?!\n)")
COMPRESSED = ".gz"  # gzip: data.csv.gz, data.tsv.gz, data.jsonl.gz, data.json.gz
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


def read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when it ends in .gz; a missing, unreadable or damaged file is a DataError."""
    if not path.exists():
        raise MissingFileError("no such file", path=str(path), hint="check the path")
    if path.is_dir():
        raise DataError("is a folder, not a file", path=str(path), hint="name a data file inside it")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise FileAccessError(err, "cannot read") from None
    if path.name.lower().endswith(COMPRESSED):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as err:
            raise DataError(f"not a complete gzip file ({err})", path=str(path),
                            hint="check the file, or drop the .gz from its name if it is not compressed") from None
    return data


def _decode(path: Path, encoding: str) -> str:
    data = read_bytes(path)
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        text = data.decode(codec)
    except LookupError as err:
        raise DecodeError(f"unknown encoding {encoding!r}", path=str(path), hint="use e.g. utf-8, latin-1, cp1252") from err
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        col = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        raise DecodeError(
            f"byte 0x{data[err.start]:02x} at character {col} does not decode as {encoding} ({err.reason})",
            path=str(path), line=line,
            hint="convert the file to UTF-8, or pass the file's encoding (encoding=latin-1, --encoding cp1252)",
        ) from err
    nul = text.find("\x00")
    if nul >= 0:
        raise DecodeError(f"holds NUL characters ({text.count(chr(0))} of them)", path=str(path),
                          line=text.count("\n", 0, nul) + 1,
                          hint="a text file has none: the file may be UTF-16 (--encoding utf-16) or binary")
    return text


def split_lines(text: str) -> list[str]:
    """Lines ended by \\n or \\r\\n only: str.splitlines also splits at U+2028, form feeds and other characters
    that are text inside a JSON string or a sentence."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def read_lines(path: str | Path, encoding: str = "utf-8") -> list[str]:
    """A plain-text file (optionally .gz), one text per line."""
    return split_lines(_decode(Path(path), encoding))


def _looks_like_header(fields: list[str], known_names: set[str]) -> bool:
    return any(f.strip().lower() in known_names for f in fields)


def _sniff_delimiter(text: str, kind: str) -> str:
    """Tab for TSV; for CSV a comma, or a semicolon when the first line has semicolons and no comma or tab (the CSV
    of spreadsheets in many locales)."""
    if kind == "tsv":
        return "\t"
    start = len(text) - len(text.lstrip())
    end = text.find("\n", start)
    first = text[start: end if end >= 0 else len(text)]
    return ";" if ";" in first and "," not in first and "\t" not in first else ","


def _format_name(delimiter: str) -> str:
    return {"\t": "TSV", ",": "CSV"}.get(delimiter, f"{delimiter!r}-delimited")


def _parse_records(path: Path, text: str, delimiter: str, quoting: bool) -> list[tuple[int, list[str]]]:
    """(first line number, fields) of every non-blank record. A quote that does not close a field cleanly is a
    QuotingError: read leniently, it would merge rows or drop quote characters from the text."""
    # The csv module ends a line at a lone \r too; in a file whose lines end in \n a lone \r is text (a writer
    # with \n line ends leaves it unquoted), so it is kept in its field. NUL, refused when decoding, stands in.
    lone_cr = "\r" in text and "\n" in text
    if lone_cr:
        text = _LONE_CR.sub("\x00", text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter,
                        quoting=csv.QUOTE_MINIMAL if quoting else csv.QUOTE_NONE, strict=quoting)
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for fields in reader:
            if lone_cr:
                fields = [x.replace("\x00", "\r") for x in fields]
            if any(x.strip() for x in fields):
                records.append((start, fields))
            start = reader.line_num + 1
    except csv.Error as err:
        raise QuotingError(
            f"a quote character opens a field that does not close cleanly ({err} by line {reader.line_num})",
            path=str(path), line=start,
            hint="if quote characters are plain text in this file, pass quoting=False (--quoting false); else fix the "
                 "quotes on that line",
        ) from None
    return records


def _check_merged_rows(path: Path, records: list[tuple[int, list[str]]], delimiter: str, width: int) -> None:
    """A quoted field that runs over several lines and holds the delimiter on them is almost always rows merged by
    a stray quote (in a TSV file, always; in a CSV file of 3+ columns, when one of its lines is a whole row)."""
    for line, fields in records:
        for value in fields:
            if ("\n" not in value and "\r" not in value) or delimiter not in value:
                continue
            parts = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
            if delimiter == "\t" or (width >= 3 and any(len(p.split(delimiter)) == width for p in parts[1:])):
                raise QuotingError(
                    f"a quoted field runs over {len(parts)} lines and holds {_format_name(delimiter)} delimiters: "
                    "a stray quote character has probably merged rows", path=str(path), line=line,
                    hint="if quote characters are plain text in this file, pass quoting=False (--quoting false); "
                         "else fix the quote that opens that field",
                )


def _read_delimited(path: Path, text: str, delimiter: str, header: bool | None, known: set[str],
                    columns: list[str] | None, quoting: bool, bad_lines: str) -> Table:
    records = _parse_records(path, text, delimiter, quoting)
    if not records:
        raise DataError("file has no rows", path=str(path))
    if header is None:
        header = columns is None and _looks_like_header(records[0][1], known)
    if header:
        (_, names), records = records[0], records[1:]
        names = [n.strip() for n in names]
        if columns:
            names = list(columns)
        if not records:
            raise DataError("has a header line but no rows", path=str(path), hint="add rows below the header")
    else:
        width = len(records[0][1])
        names = list(columns) if columns else [f"column{i + 1}" for i in range(width)]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ColumnError("the header names a column twice", path=str(path), line=1, column=name)
        seen.add(name)
    if quoting:
        _check_merged_rows(path, records, delimiter, len(names))
    rows, locations, skipped = [], [], []
    for line, fields in records:
        if len(fields) != len(names):
            if bad_lines == "skip":
                skipped.append(line)
                continue
            hint = "fix the quoting or delimiter on that line, or pass bad_lines='skip' (--bad-lines skip) to " \
                   "drop such lines and count them"
            if len(names) == 1 and delimiter == ",":
                hint = "is the file delimited by something else than commas? pass delimiter= (--delimiter); " + hint
            raise DataError(f"has {len(fields)} fields but the header has {len(names)}", path=str(path), line=line,
                            hint=hint)
        rows.append(dict(zip(names, fields)))
        locations.append(line)
    return Table(str(path), names, rows, locations, has_header=header, skipped_lines=skipped)


def _read_jsonl(path: Path, text: str, bad_lines: str) -> Table:
    rows, locations, skipped, columns = [], [], [], {}
    for number, line in enumerate(split_lines(text), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as err:
            if bad_lines == "skip":
                skipped.append(number)
                continue
            raise DataError(f"invalid JSON ({err.msg} at character {err.colno})", path=str(path), line=number,
                            hint="each line must be one JSON object; or pass bad_lines='skip'") from err
        if not isinstance(record, dict):
            raise DataError("each line must be a JSON object", path=str(path), line=number)
        columns.update(dict.fromkeys(record))
        rows.append(record)
        locations.append(number)
    if not rows:
        raise DataError("file has no rows", path=str(path))
    return Table(str(path), list(columns), rows, locations, skipped_lines=skipped)


def _records_table(path: Path, records: list, what: str) -> Table:
    columns: dict[str, None] = {}
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            raise DataError(f"is {type(record).__name__}, not an object", path=str(path), line=f"{what} {i + 1}",
                            hint="each record is one object, e.g. {\"text\": ..., \"labels\": [...]}")
        columns.update(dict.fromkeys(record))
    if not records:
        raise DataError("file has no rows", path=str(path))
    return Table(str(path), list(columns), records, [f"{what} {i + 1}" for i in range(len(records))])


def _read_json(path: Path, text: str) -> Table:
    try:
        payload = json.loads(text)
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
    return _records_table(path, payload, "record")


def _read_parquet(path: Path) -> Table:
    import pyarrow.parquet as pq

    try:
        records = pq.read_table(path).to_pylist()
    except Exception as err:  # pyarrow raises several types for a damaged file
        raise DataError(f"cannot read Parquet ({err})", path=str(path)) from err
    return _records_table(path, records, "row")


def read_table(path: str | Path, *, fmt: str | None = None, encoding: str = "utf-8", header: bool | None = None,
               columns: list[str] | None = None, quoting: bool = True, bad_lines: str = "error",
               known_columns: set[str] = frozenset(), delimiter: str | None = None) -> Table:
    """Read one file (optionally gzipped). `header=None` guesses whether the first line of a CSV/TSV names columns
    (it does when one of its fields is a known column name); `columns` names the columns of a headerless file;
    `delimiter` overrides the CSV/TSV delimiter (default: tab for TSV; comma for CSV, or a semicolon when the first
    line has semicolons and no commas)."""
    path = Path(path)
    kind = detect_format(path, fmt)
    if kind == "parquet":
        if not path.is_file():
            read_bytes(path)  # the same errors as the other formats
        table = _read_parquet(path)
    else:
        text = _decode(path, encoding)
        if kind in ("csv", "tsv"):  # a NUL in these was found when decoding
            return _read_delimited(path, text, delimiter or _sniff_delimiter(text, kind), header, known_columns,
                                   columns, quoting, bad_lines)
        table = _read_jsonl(path, text, bad_lines) if kind == "jsonl" else _read_json(path, text)
    _check_nul_cells(table)
    return table


def _check_nul_cells(table: Table) -> None:
    """NUL characters in a cell (a JSON "\\u0000", a Parquet string) would pass into the text unnoticed."""
    for row, where in zip(table.rows, table.locations):
        for column, value in row.items():
            if isinstance(value, str) and "\x00" in value:
                raise DecodeError("holds a NUL character", path=table.path, line=where, column=column,
                                  hint="remove it; a text has none")


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
