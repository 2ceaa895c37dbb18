"""Label layouts: one 0/1 column per label, or one column holding a list (JSON, delimited names, or integer ids)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ..errors import ColumnError, LabelValueError
from .readers import Table

LIST_COLUMN_NAMES = ("labels", "label", "emotions", "emotion", "categories", "category", "tags", "intents",
                     "classes", "topics", "label_ids")
_TRUE = {"1", "1.0", "true", "yes", "y", "t"}
_FALSE = {"0", "0.0", "false", "no", "n", "f", ""}
_INT_LIST = re.compile(r"^\s*\d+(\s*[,;| ]\s*\d+)*\s*$")
_DELIMITERS = ("|", ";", ",")


@dataclass
class Layout:
    """How a table stores its labels: `columns` (0/1 per label) or `list` (one column)."""

    kind: str
    columns: list[str]  # the label columns (kind=columns) or the one list column (kind=list)


def parse_binary(value: Any, table: Table, index: int, column: str) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)) and value in (0, 1):
        return int(value)
    if value is None:
        return 0
    text = str(value).strip().lower()
    if text in _TRUE:
        return 1
    if text in _FALSE:
        return 0
    raise LabelValueError(f"label value {value!r} is not 0/1", path=table.path, line=table.locations[index],
                          column=column, hint="label columns hold 0 or 1 (empty counts as 0)")


def _is_binary(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, (int, float)):
        return value in (0, 1)
    return isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE


def _looks_like_list(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return True
    if isinstance(value, int) and not isinstance(value, bool):
        return True
    return isinstance(value, str) and (bool(_INT_LIST.match(value)) or value.strip().startswith("["))


def detect_layout(table: Table, reserved: set[str], label_columns: list[str] | None,
                  label_column: str | None) -> Layout:
    """Decide where the labels are. Explicit options win; otherwise a column with a list-like name, then columns
    whose values are all 0/1, then (headerless files) a column whose values are all integer lists."""
    present = set(table.columns)
    if label_columns:
        missing = [c for c in label_columns if c not in present]
        if missing and len(missing) == len(label_columns):
            raise ColumnError("none of the label columns is in the file", path=table.path, column=missing[0],
                              hint=f"the file has columns {table.columns}")
        return Layout("columns", [c for c in label_columns if c in present])
    if label_column:
        if label_column not in present:
            raise ColumnError("label column not found", path=table.path, column=label_column,
                              hint=f"the file has columns {table.columns}")
        return Layout("list", [label_column])
    candidates = [c for c in table.columns if c not in reserved]
    for name in candidates:
        if name.strip().lower() in LIST_COLUMN_NAMES:
            return Layout("list", [name])
    binary = []
    for name in candidates:
        values = [row.get(name) for row in table.rows]
        bad = [i for i, v in enumerate(values) if not _is_binary(v)]
        if not bad:
            binary.append(name)
        elif len(bad) <= max(1, len(values) // 100) and len(values) > 1:
            # Nearly all 0/1: a label column with a bad value, not a metadata column.
            i = bad[0]
            parse_binary(values[i], table, i, name)
    if binary:
        return Layout("columns", binary)
    if not table.has_header:
        for name in candidates:
            if all(_looks_like_list(row.get(name)) for row in table.rows):
                return Layout("list", [name])
    raise ColumnError(
        "no label column found", path=table.path,
        hint=f"the file has columns {table.columns}; name 0/1 label columns with label_columns "
             "(--label-columns a,b,c) or a list column with label_column (--label-column labels)",
    )


def split_label_list(value: Any, delimiter: str | None) -> list[str | int]:
    """Turn one cell of a list column into its items: ints for ids, strings for names."""
    if value is None:
        return []
    if isinstance(value, bool):
        raise ValueError("a boolean is not a label list")
    if isinstance(value, int):
        return [value]
    if isinstance(value, (list, tuple)):
        items = list(value)
    else:
        text = str(value).strip()
        if not text:
            return []
        if text.startswith("["):
            items = json.loads(text)
            if not isinstance(items, list):
                raise ValueError("not a JSON list")
        else:
            sep = delimiter or next((d for d in _DELIMITERS if d in text), None)
            if sep is None and _INT_LIST.match(text):
                sep = " "
            items = text.split(sep) if sep else [text]
    out: list[str | int] = []
    for item in items:
        if isinstance(item, bool):
            raise ValueError("a boolean is not a label")
        if isinstance(item, int):
            out.append(item)
            continue
        item = str(item).strip()
        if not item:
            continue
        out.append(int(item) if item.isdigit() else item)
    return out


def resolve_items(items: list[str | int], label_names: list[str] | None, id_base: int, table: Table, index: int,
                  column: str) -> list[str]:
    """Map ids to names (with `label_names`) and check names against `label_names` when it is given."""
    names = []
    for item in items:
        if isinstance(item, int):
            if label_names is None:
                raise LabelValueError(
                    f"integer label id {item} but no label names are known", path=table.path,
                    line=table.locations[index], column=column,
                    hint="pass label_names (a file with one name per line, or a list; --label-names FILE) or put "
                         "a labels.txt beside the data",
                )
            position = item - id_base
            if not 0 <= position < len(label_names):
                raise LabelValueError(
                    f"label id {item} is outside 0..{len(label_names) - 1 + id_base}", path=table.path,
                    line=table.locations[index], column=column,
                    hint=f"there are {len(label_names)} label names; set label_id_base=1 if ids start at 1",
                )
            names.append(label_names[position])
        else:
            if label_names is not None and item not in label_names:
                raise LabelValueError(f"unknown label {item!r}", path=table.path, line=table.locations[index],
                                      column=column, hint=f"known labels: {', '.join(label_names)}")
            names.append(item)
    return list(dict.fromkeys(names))
