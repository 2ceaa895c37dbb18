"""Read one data file (CSV, TSV, JSONL, JSON, Parquet) or a `save_to_disk` folder into a `Table` of raw rows.

Every row keeps its location (a 1-based line number for text formats, `row N` otherwise) so that later stages can
name it in an error.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ColumnError, DataError, DecodeError, MissingFileError, UnknownFormatError

FORMATS = ("csv", "tsv", "jsonl", "json", "parquet")
EXTENSIONS = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
    ".parquet": "parquet", ".pq": "parquet",
}
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


def detect_format(path: Path, fmt: str | None = None) -> str:
    if fmt and fmt != "auto":
        if fmt not in FORMATS:
            raise UnknownFormatError(f"unknown format {fmt!r}", path=str(path), hint=f"use one of {', '.join(FORMATS)}")
        return fmt
    suffix = path.suffix.lower()
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    raise UnknownFormatError(
        f"cannot tell the format from the extension {suffix or '(none)'!r}", path=str(path),
        hint=f"rename the file or pass format= one of {', '.join(FORMATS)}",
    )


def _decode(path: Path, encoding: str) -> str:
    data = path.read_bytes()
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        return data.decode(codec)
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


def _looks_like_header(fields: list[str], known_names: set[str]) -> bool:
    return any(f.strip().lower() in known_names for f in fields)


def _read_delimited(path: Path, text: str, delimiter: str, header: bool | None, known: set[str],
                    columns: list[str] | None, quoting: bool, bad_lines: str) -> Table:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter,
                        quoting=csv.QUOTE_MINIMAL if quoting else csv.QUOTE_NONE, strict=False)
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for fields in reader:
            records.append((start, fields))
            start = reader.line_num + 1
    except csv.Error as err:
        raise DataError(f"malformed {'TSV' if delimiter == chr(9) else 'CSV'} ({err})", path=str(path),
                        line=reader.line_num, hint="check the quoting on that line") from err
    records = [(n, f) for n, f in records if any(x.strip() for x in f)]  # blank lines
    if not records:
        raise DataError("file has no rows", path=str(path))
    if header is None:
        header = columns is None and _looks_like_header(records[0][1], known)
    if header:
        (_, names), records = records[0], records[1:]
        names = [n.strip() for n in names]
        if columns:
            names = list(columns)
    else:
        width = len(records[0][1])
        names = list(columns) if columns else [f"column{i + 1}" for i in range(width)]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise ColumnError("the header names a column twice", path=str(path), line=1, column=dup)
    rows, locations, skipped = [], [], []
    for line, fields in records:
        if len(fields) != len(names):
            if bad_lines == "skip":
                skipped.append(line)
                continue
            raise DataError(
                f"has {len(fields)} fields but the header has {len(names)}", path=str(path), line=line,
                hint="fix the quoting or delimiter on that line, or pass bad_lines='skip' (--bad-lines skip) to "
                     "drop such lines and count them",
            )
        rows.append(dict(zip(names, fields)))
        locations.append(line)
    return Table(str(path), names, rows, locations, has_header=header, skipped_lines=skipped)


def _read_jsonl(path: Path, text: str, bad_lines: str) -> Table:
    rows, locations, skipped, columns = [], [], [], {}
    for number, line in enumerate(text.splitlines(), start=1):
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
            raise DataError(f"{what} {i + 1} is not an object", path=str(path), line=f"{what} {i + 1}")
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
               known_columns: set[str] = frozenset()) -> Table:
    """Read one file. `header=None` guesses whether the first line of a CSV/TSV names columns (it does when one of
    its fields is a known column name); `columns` names the columns of a headerless file."""
    path = Path(path)
    if not path.exists():
        raise MissingFileError("no such file", path=str(path), hint="check the path")
    kind = detect_format(path, fmt)
    if kind == "parquet":
        return _read_parquet(path)
    text = _decode(path, encoding)
    if kind in ("csv", "tsv"):
        delimiter = "," if kind == "csv" else "\t"
        return _read_delimited(path, text, delimiter, header, known_columns, columns, quoting, bad_lines)
    if kind == "jsonl":
        return _read_jsonl(path, text, bad_lines)
    return _read_json(path, text)


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
