"""Label layouts: one 0/1 column per label, or one column holding each row's labels (a JSON list, names joined by a
delimiter, integer ids, or a {label: 0/1} object).

Nothing is guessed silently: a label cell that is not 0/1 (blank, NA, -1, 2) is an error naming the file, line,
column and how many such cells there are, unless `missing_labels` / `minus_one` say how to read them.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from mlc.core.errors import ColumnError, LabelValueError, MissingLabelError
from mlc.data.readers import Table

LIST_COLUMN_NAMES = ("labels", "label", "emotions", "emotion", "categories", "category", "tags", "intents",
                     "classes", "topics", "label_ids")
MISSING_POLICIES = ("error", "zero", "drop")
MINUS_ONE_POLICIES = ("error", "zero", "missing")
_TRUE = {"1", "1.0", "true", "yes", "y", "t"}
_FALSE = {"0", "0.0", "false", "no", "n", "f"}
_MINUS = {"-1", "-1.0"}
_NA = {"", "na", "n/a", "nan", "null", "none", "?", "-", "#n/a"}  # blank or "not available" in a 0/1 cell
_NA_LIST = {"na", "n/a", "nan", "null", "#n/a"}  # a list cell holding one of these is missing, not a label name
_INT_LIST = re.compile(r"^\s*\d+(\s*[,;| ]\s*\d+)*\s*$")
_DELIMITERS = ("|", ";", ",")

ONE, ZERO, MISSING, MINUS_ONE, INVALID = 1, 0, "missing", "minus_one", "invalid"
_STRING_KINDS = {**dict.fromkeys(_NA, MISSING), **dict.fromkeys(_MINUS, MINUS_ONE), **dict.fromkeys(_FALSE, ZERO),
                 **dict.fromkeys(_TRUE, ONE)}


def cell_value(value: Any) -> int | str:
    """What a 0/1 label cell holds: ONE, ZERO, MISSING (blank, NA, null, NaN), MINUS_ONE or INVALID."""
    if isinstance(value, bool):
        return int(value)
    if value is None:
        return MISSING
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isnan(value):
            return MISSING
        return {1: ONE, 0: ZERO, -1: MINUS_ONE}.get(value, INVALID)
    if not isinstance(value, str):
        return INVALID
    kind = _STRING_KINDS.get(value)  # the common case, "0" or "1", without strip() and lower()
    return kind if kind is not None else _STRING_KINDS.get(value.strip().lower(), INVALID)


@dataclass
class Layout:
    """How a table stores its labels: `columns` (0/1 per label) or `list` (one column)."""

    kind: str
    columns: list[str]  # the label columns (kind=columns) or the one list column (kind=list)
    notes: list[str] = field(default_factory=list)  # what the reader decided that the user should hear about


@dataclass
class ColumnSurvey:
    """What finding a file's text and label columns needs from its rows, gathered chunk by chunk (`add`) so that a
    file is never held whole: per column, how many cells of each kind (`cell_value`) it has and, for headerless
    files, whether every value looks like a list of ids and the total length of its values."""

    path: str
    columns: list[str] = field(default_factory=list)
    has_header: bool = True
    rows: int = 0
    first_row: dict[str, Any] | None = None
    kinds: dict[str, dict[Any, int]] = field(default_factory=dict)
    listlike: dict[str, bool] = field(default_factory=dict)
    lengths: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, table: Table) -> ColumnSurvey:
        survey = cls(table.path, has_header=table.has_header)
        survey.add(table.rows, table.columns)
        return survey

    def add(self, rows: list[dict[str, Any]], columns: list[str]) -> None:
        """Count `rows`; `columns` are the file's columns so far (a JSON-lines key may first appear late: the
        rows before it count as missing cells)."""
        for name in columns:
            if name not in self.kinds:
                self.kinds[name] = {MISSING: self.rows} if self.rows else {}
                self.listlike[name], self.lengths[name] = self.rows == 0, 0
        self.columns = list(columns)
        if self.first_row is None and rows:
            self.first_row = rows[0]
        for name, counts in self.kinds.items():
            for row in rows:
                kind = cell_value(row.get(name))
                counts[kind] = counts.get(kind, 0) + 1
            if not self.has_header:
                self.listlike[name] = self.listlike[name] and all(_looks_like_list(row.get(name)) for row in rows)
                self.lengths[name] += sum(len(str(row.get(name) or "")) for row in rows)
        self.rows += len(rows)


def _is_label_column(kinds: dict[Any, int], rows: int) -> bool:
    """0/1 values with at most 1% other values (those are then reported as errors, not taken as metadata);
    blank, NA and -1 cells count as label cells, so that they are reported rather than hide the column."""
    if not kinds.get(ONE, 0) + kinds.get(ZERO, 0):
        return False
    return kinds.get(INVALID, 0) <= max(1, rows // 100) and rows > kinds.get(INVALID, 0)


def detect_layout(survey: ColumnSurvey, reserved: set[str], label_columns: list[str] | None,
                  label_column: str | None, label_names_known: bool = False) -> Layout:
    """Decide where the labels are. Explicit options win; otherwise a column with a list-like name, then columns
    of 0/1 values, then (headerless files) a column whose values are all integer lists. A list-named column that
    holds only 0 and 1 without label names is one binary label named after the column."""
    present = set(survey.columns)
    if label_columns:
        missing = [c for c in label_columns if c not in present]
        if missing and len(missing) == len(label_columns):
            raise ColumnError("none of the label columns is in the file", path=survey.path, column=missing[0],
                              hint=describe_columns(survey))
        return Layout("columns", [c for c in label_columns if c in present])
    if label_column:
        if label_column not in present:
            raise ColumnError("label column not found", path=survey.path, column=label_column,
                              hint=describe_columns(survey))
        return _list_or_binary(survey, label_column, label_names_known)
    candidates = [c for c in survey.columns if c not in reserved]
    for name in candidates:
        if name.strip().lower() in LIST_COLUMN_NAMES:
            return _list_or_binary(survey, name, label_names_known)
    binary = [name for name in candidates if _is_label_column(survey.kinds[name], survey.rows)]
    empty = [name for name in candidates if set(survey.kinds[name]) <= {MISSING}]
    if binary:
        notes = [f"{len(empty)} empty column(s) not read as labels: {list_examples(empty)}"] if empty else []
        return Layout("columns", binary, notes)
    if not survey.has_header:
        for name in candidates:
            if survey.listlike[name]:
                return Layout("list", [name])
    raise ColumnError("no label column found", path=survey.path,
                      hint=f"{describe_columns(survey)}; name 0/1 label columns with label_columns "
                           "(--label-columns a,b,c) or a list column with label_column (--label-column labels)")


def _list_or_binary(survey: ColumnSurvey, name: str, label_names_known: bool) -> Layout:
    if not label_names_known:
        kinds = survey.kinds[name]
        if ONE in kinds and set(kinds) <= {ONE, ZERO, MISSING, MINUS_ONE}:
            return Layout("columns", [name], [f"column {name!r} holds only 0 and 1: read as one binary label "
                                              f"{name!r} (give label_names, --label-names, to read ids instead)"])
    return Layout("list", [name])


def describe_columns(file: Table | ColumnSurvey) -> str:
    """The columns of a file for a hint: the header's names, or (no header line) the first row's values."""
    if file.has_header:
        return f"the file has columns {list_examples(file.columns, 12)}"
    first = [str(file.first_row.get(c, ""))[:20] for c in file.columns] if file.first_row else []
    return (f"no header line was recognised (the first line has {len(file.columns)} fields: {list_examples(first, 6)}); "
            "pass header=True (--header true) if it names the columns, or name them with columns= (--columns a,b,c)")


def list_examples(items: list, limit: int = 5) -> str:
    shown = ", ".join(map(str, items[:limit]))
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


@dataclass
class LabelCells:
    """Label cells that are not 0/1, gathered over a whole file so that the error can say how many there are."""

    path: str
    missing: str = "error"
    minus_one: str = "error"
    drop: set[int | str] = field(default_factory=set)  # locations of rows dropped for missing cells (missing="drop")
    zeroed: int = 0  # missing cells read as 0 (missing="zero")
    _bad: dict[str, list[tuple[int | str, str, Any]]] = field(default_factory=dict)

    def read(self, value: Any, where: int | str, column: str) -> int:
        """1 or 0 for one 0/1 cell at `where` (a line or row); other cells are recorded (or counted, as the
        policies say) and read as 0."""
        kind = cell_value(value)
        if kind == MINUS_ONE:
            if self.minus_one == "zero":
                return 0
            kind = MISSING if self.minus_one == "missing" else MINUS_ONE
        if kind == MISSING and self.missing != "error":
            if self.missing == "drop":
                self.drop.add(where)
            else:
                self.zeroed += 1
            return 0
        if kind in (ONE, ZERO):
            return int(kind)
        self._bad.setdefault(kind, []).append((where, column, value))
        return 0

    def check(self) -> None:
        """Raise for the first kind of bad cell found (invalid values, then -1, then missing), with its count."""
        for kind in (INVALID, MINUS_ONE, MISSING):
            cells = self._bad.get(kind)
            if not cells:
                continue
            line, column, value = cells[0]
            where = {"path": self.path, "line": line, "column": column}
            count = f"{len(cells)} such cell{'s' if len(cells) > 1 else ''} in this file"
            if kind == INVALID:
                raise LabelValueError(f"label value {value!r} is not 0/1 ({count})", **where,
                                      hint="label columns hold 0 or 1; name the label columns with --label-columns "
                                           "if this is not one")
            if kind == MINUS_ONE:
                raise LabelValueError(f"label value -1 in a 0/1 column ({count})", **where,
                                      hint="for a -1/1 encoding pass minus_one='zero' (--minus-one zero); if -1 "
                                           "marks an unannotated cell, --minus-one missing")
            raise MissingLabelError(f"label cell {value!r} is blank or NA, not 0/1 ({count})", **where,
                                    hint="pass missing_labels='zero' (--missing-labels zero) to read such cells as "
                                         "0, or 'drop' to drop those rows")


def _looks_like_list(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return True
    if isinstance(value, int) and not isinstance(value, bool):
        return True
    return isinstance(value, str) and (bool(_INT_LIST.match(value)) or value.strip().startswith("["))


def split_label_list(value: Any, delimiter: str | None) -> list[str | int] | dict[str, Any] | None:
    """Turn one cell of a list column into its items (ints for ids, strings for names), a {label: value} dict
    (a JSON object), or None for a missing cell (NA, NaN)."""
    if value is None:
        return []
    if isinstance(value, bool):
        raise ValueError("a boolean is not a label list")
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if not value.is_integer():
            raise ValueError("a fraction is not a label id")
        value = int(value)
    if isinstance(value, int):
        return [value]
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = list(value)
    else:
        text = str(value).strip()
        if not text:
            return []
        if text.lower() in _NA_LIST:
            return None
        if text.startswith("{"):
            parsed = json.loads(text)
            if not isinstance(parsed, dict):
                raise ValueError("not a JSON object")
            return {str(k): v for k, v in parsed.items()}
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
        if isinstance(item, bool) or item is None or isinstance(item, (dict, list, float)):
            raise ValueError(f"{item!r} is not a label name or id")
        if isinstance(item, int):
            out.append(item)
            continue
        item = str(item).strip()
        if not item:
            continue
        out.append(int(item) if item.isdigit() else item)
    return out


def resolve_items(items: list[str | int], label_names: list[str] | None, id_base: int, path: str,
                  where: int | str, column: str) -> list[str]:
    """Map ids to names (with `label_names`) and check names against `label_names` when it is given."""
    names = []
    for item in items:
        if isinstance(item, int):
            if label_names is None:
                raise LabelValueError(
                    f"integer label id {item} but no label names are known", path=path, line=where,
                    column=column,
                    hint="pass label_names (a file with one name per line, or a list; --label-names FILE) or put "
                         "a labels.txt beside the data",
                )
            position = item - id_base
            if not 0 <= position < len(label_names):
                raise LabelValueError(
                    f"label id {item} is outside {id_base}..{len(label_names) - 1 + id_base}", path=path, line=where,
                    column=column,
                    hint=f"there are {len(label_names)} label names; set label_id_base=1 if ids start at 1",
                )
            names.append(label_names[position])
        else:
            if label_names is not None and item not in label_names:
                raise LabelValueError(f"unknown label {item!r}", path=path, line=where, column=column,
                                      hint=f"known labels: {list_examples(label_names, 12)}")
            names.append(item)
    return list(dict.fromkeys(names))
