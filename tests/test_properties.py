"""Property-based tests of the readers and label parsers, each against an oracle: a random table that a real writer
(csv, json) wrote from valid cells must come back exactly, rows, texts and labels; one built with invalid cells
must be refused with a DataError naming the line of a row that holds one. Never another exception, never a
refusal of a valid table."""

from __future__ import annotations

import csv
import io
import json
import re
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlc.core.errors import DataError
from mlc.data import DataWarning, load_data
from mlc.data.labels import INVALID, MINUS_ONE, MISSING, ONE, ZERO, cell_value, split_label_list

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# Any text: quotes, delimiters, newlines, CR, tabs, BOMs, emoji, right-to-left scripts (no lone surrogates, which
# UTF-8 cannot hold).
# NUL characters are refused by design (tests/test_malformed.py); texts that are blank are refused unless dropped.
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=40)
TRICKY = st.sampled_from(['"', "'", ",", "\t", ";", "\n", "\r\n", "\r", "|", "\ufeff", "NA", " ", "é", "😀", "ש"])
TEXTS = st.lists(st.one_of(TEXT, st.lists(st.one_of(TRICKY, TEXT), min_size=1, max_size=6).map("".join))
                 .filter(str.strip), min_size=1, max_size=12)
CELL = st.one_of(st.sampled_from(["0", "1"]), st.sampled_from(["0", "1"]), st.sampled_from(["0", "1"]),
                 st.sampled_from(["", "NA", "-1", "2", "yes", " 1 ", "nan", "TRUE"]))
# Label names; whole numbers are label ids by design (with --label-names), so names are never one.
NAMES = st.lists(st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1,
                         max_size=8).filter(lambda name: not name.strip().lstrip("+-").isdigit()),
                 min_size=1, max_size=4, unique=True)


def load(path, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return load_data(path, validation_size=0, **options)


def written_lines(rows: list[list[str]], delimiter: str, terminator: str) -> list[int]:
    """The line (as the reader counts them: each \\n ends one) on which each row after the header starts."""
    starts, line = [], 2
    for row in rows:
        buffer = io.StringIO(newline="")
        csv.writer(buffer, delimiter=delimiter, lineterminator=terminator).writerow(row)
        starts.append(line)
        line += buffer.getvalue().count("\n")
    return starts


@SETTINGS
@given(texts=TEXTS, cells=st.lists(st.lists(CELL, min_size=2, max_size=2), min_size=12, max_size=12),
       delimiter=st.sampled_from([",", "\t"]), bom=st.booleans(), crlf=st.booleans())
def test_delimited_tables_round_trip(tmp_path_factory, texts, cells, delimiter, bom, crlf):
    path = tmp_path_factory.mktemp("t") / ("d.csv" if delimiter == "," else "d.tsv")
    rows = [[text, *cells[i]] for i, text in enumerate(texts)]
    with path.open("w", newline="", encoding="utf-8-sig" if bom else "utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n")
        writer.writerow(["text", "a", "b"])
        writer.writerows(rows)
    invalid = [i for i, row in enumerate(rows) if any(cell_value(c) not in (ONE, ZERO) for c in row[1:])]
    # A text with a line that is itself a whole row of 3 fields reads like rows merged by a stray quote: refused.
    merged = [i for i, t in enumerate(texts) if any(len(part.split(delimiter)) == 3
                                                    for part in re.split(r"\r\n|\r|\n", t)[1:])]
    invalid += merged
    if invalid:  # built to be malformed: refused, naming the line of a row that holds an invalid cell
        with pytest.raises(DataError) as refused:
            load(path, label_columns=["a", "b"])
        starts = written_lines(rows, delimiter, "\r\n" if crlf else "\n")
        named = [int(n) for n in re.findall(r"\bline (\d+)", str(refused.value))]
        assert named and named[0] in {starts[i] for i in invalid}, (str(refused.value), starts, invalid)
        return
    train = load(path, label_columns=["a", "b"])["train"]  # valid: read back exactly
    assert len(train) == len(rows)
    assert list(train["raw_text"]) == texts
    assert [list(v) for v in train["labels"]] == [[int(cell_value(c) == ONE) for c in row[1:]] for row in rows]


@SETTINGS
@given(texts=TEXTS, names=NAMES, picks=st.lists(st.lists(st.booleans(), min_size=4, max_size=4), min_size=12,
                                                max_size=12), as_dict=st.booleans(), as_csv=st.booleans())
def test_label_lists_and_dicts_round_trip(tmp_path_factory, texts, names, picks, as_dict, as_csv):
    folder = tmp_path_factory.mktemp("j")
    chosen = [[n for n, keep in zip(names, picks[i][: len(names)], strict=True) if keep] for i in range(len(texts))]
    cells = [{n: int(n in c) for n in names} if as_dict else c for c in chosen]
    if as_csv:
        path = folder / "d.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["text", "labels"])
            writer.writerows([t, json.dumps(c, ensure_ascii=False)] for t, c in zip(texts, cells, strict=True))
    else:
        path = folder / "d.jsonl"
        path.write_text("".join(json.dumps({"text": t, "labels": c}, ensure_ascii=False) + "\n"
                                for t, c in zip(texts, cells, strict=True)), "utf-8")
    if not as_dict and not any(chosen):  # not one label in the whole file: nothing to learn, refused as such
        with pytest.raises(DataError, match="no labels found in the data"):
            load(path)
        return
    data = load(path)  # every cell is a valid list or object: never refused
    assert len(data["train"]) == len(texts) and list(data["train"]["raw_text"]) == texts
    got = [{data.labels[j] for j, v in enumerate(row) if v} for row in data["train"]["labels"]]
    assert got == [set(c) for c in chosen]
    if as_dict:
        assert data.labels == names


@given(st.one_of(TEXT, st.integers(), st.floats(), st.booleans(), st.none()))
def test_a_label_cell_is_always_classified(value):
    assert cell_value(value) in (ONE, ZERO, MISSING, MINUS_ONE, INVALID)


@given(st.one_of(TEXT, st.integers(), st.floats(), st.none(), st.lists(st.one_of(TEXT, st.integers()))))
def test_a_label_list_parses_or_raises_value_error(value):
    try:
        items = split_label_list(value, None)
    except (ValueError, TypeError):
        return
    assert items is None or isinstance(items, (list, dict))
