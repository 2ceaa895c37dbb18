"""One entry point, `load_data`, from files and folders to a `MultiLabelData` (a DatasetDict plus its labels)."""

from __future__ import annotations

import json
import warnings
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from mlc.core.errors import (
    ColumnError,
    ConfigError,
    DataError,
    DuplicateIdError,
    EmptyTextError,
    LabelValueError,
)
from mlc.core.fingerprint import inputs_digest
from mlc.core.text import normalize_text
from mlc.data.args import DataArgs
from mlc.data.labels import (
    ColumnSurvey,
    LabelCells,
    describe_columns,
    detect_layout,
    list_examples,
    resolve_items,
    split_label_list,
)
from mlc.data.languages import UNDETERMINED
from mlc.data.layout import EXTRA, Source, find_label_names, split_files
from mlc.data.readers import (
    Table,
    data_stem,
    read_table,
)

TEXT_COLUMNS = ("text", "sentence", "comment_text", "content", "review", "body", "message", "utterance",
                "phrase", "tweet", "document")
ID_COLUMNS = ("id", "idx", "uid", "example_id", "guid")
LANGUAGE_COLUMNS = ("language", "lang", "locale", "lang_code", "language_code")
_KNOWN_COLUMNS = {*TEXT_COLUMNS, *ID_COLUMNS, *LANGUAGE_COLUMNS, "labels", "label"}


class DataWarning(UserWarning):
    """Something worth knowing about the data that does not stop loading (e.g. a label absent from training)."""


# The options naming files whose bytes a trained model depends on (their digests: MultiLabelData.info["files"]).
DATA_INPUTS = ("data", "validation", "test", "extra_data", "label_names")


@dataclass
class MultiLabelData:
    """Loaded data: a `datasets.DatasetDict` with columns id, text, raw_text, language and labels (multi-hot, in
    the order of `labels`), plus the labels each language was annotated with."""

    splits: Any  # datasets.DatasetDict
    labels: list[str]
    language_labels: dict[str, list[str]]
    info: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def __getitem__(self, split: str):
        return self.splits[split]

    @property
    def languages(self) -> list[str]:
        return sorted(self.language_labels)

    def label_mask(self, language: str) -> list[int]:
        """1 for the labels annotated in `language` (all labels for a language not seen in the data)."""
        annotated = set(self.language_labels.get(language, self.labels))
        return [int(label in annotated) for label in self.labels]

    def for_language(self, language: str) -> MultiLabelData:
        """The rows of one language, with the labels that language was annotated with (for per-language models)."""
        from datasets import DatasetDict

        if language not in self.language_labels:
            raise ConfigError(f"no rows in language {language!r} (the data has {', '.join(self.languages)})")
        position = {label: j for j, label in enumerate(self.labels)}
        keep = [position[label] for label in self.language_labels[language]]
        splits = {}
        for name, ds in self.splits.items():
            rows = [i for i, lang in enumerate(column_values(ds, "language")) if lang == language]
            if rows:
                splits[name] = ds.select(rows).map(lambda row: {"labels": [row["labels"][j] for j in keep]})
        info = {**self.info, "language": language}
        return MultiLabelData(DatasetDict(splits), list(self.language_labels[language]),
                              {language: list(self.language_labels[language])}, info, list(self.warnings))

    def with_held_out_in_train(self) -> MultiLabelData:
        """Every labelled row a training run may learn from: the validation and threshold-holdout rows joined to
        train (for a refit, once they have served their purpose); a test split stays apart."""
        from datasets import DatasetDict, concatenate_datasets

        parts = [name for name in ("train", "validation", "holdout") if name in self.splits]
        splits = {"train": concatenate_datasets([self.splits[name] for name in parts])}
        splits.update({name: ds for name, ds in self.splits.items() if name not in parts})
        info = {**self.info, "trained_on": "+".join(parts)}
        return MultiLabelData(DatasetDict(splits), list(self.labels), dict(self.language_labels), info,
                              list(self.warnings))

    def summary(self) -> dict[str, Any]:
        from mlc.data.summary import summarize

        return summarize(self)

    def summary_table(self) -> str:
        from mlc.data.summary import format_summary

        return format_summary(self.summary())


def pick_column(file: Table | ColumnSurvey, explicit: str | None, candidates: tuple[str, ...], what: str,
                option: str, required: bool) -> str | None:
    """The column named `explicit`, else the first of `candidates` (any case) in the file, else None (or an error
    when `required`)."""
    if explicit:
        if explicit not in file.columns:
            raise ColumnError(f"{what} column not found", path=file.path, column=explicit,
                              hint=describe_columns(file))
        return explicit
    lowered = {c.strip().lower(): c for c in file.columns}
    for name in candidates:
        if name in lowered:
            return lowered[name]
    if required:
        raise ColumnError(f"no {what} column", path=file.path, hint=f"{describe_columns(file)}; name it with {option}")
    return None


@dataclass
class _Example:
    id: str
    text: str
    raw_text: str
    language: str
    names: list[str]
    location: tuple[str, int | str]


@dataclass
class Reading:
    """What reading the tables gathers besides examples: counts for the summary, notes (warnings), the labels each
    language was annotated with, the languages of list-layout rows (annotated with every label), and the keys of
    {label: 0/1} cells in order of appearance, and the columns of the tables in order of appearance."""

    counters: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    language_labels: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    list_languages: set[str] = field(default_factory=set)
    dict_keys: dict[str, None] = field(default_factory=dict)
    column_order: dict[str, None] = field(default_factory=dict)


class RowReader:
    """One file's rows into examples, a chunk at a time, once a first pass surveyed its columns: it picks the text,
    id and language columns and the label layout, and gathers the label cells that are not 0/1 over the whole file
    (`finish` raises for them, naming the first and counting them all)."""

    def __init__(self, survey: ColumnSurvey, source: Source, args: DataArgs, label_names: list[str] | None,
                 reading: Reading) -> None:
        self.source, self.args, self.label_names, self.reading = source, args, label_names, reading
        if survey.has_header or args.text_column:
            self.text = pick_column(survey, args.text_column, TEXT_COLUMNS, "text", "text_column (--text-column)",
                                    True)
        else:  # a headerless file: the column of the longest values
            self.text = max(survey.columns, key=survey.lengths.__getitem__)
        self.id = pick_column(survey, args.id_column, ID_COLUMNS, "id", "id_column", False)
        self.language = pick_column(survey, args.language_column, LANGUAGE_COLUMNS, "language", "language_column",
                                    False)
        self.layout = detect_layout(survey, {c for c in (self.text, self.id, self.language) if c},
                                    args.label_columns, args.label_column, label_names is not None)
        reading.notes += [f"{survey.path}: {note}" for note in self.layout.notes]
        if self.layout.kind == "list" and not survey.has_header and self.id is None:
            leftovers = [c for c in survey.columns if c not in (self.text, self.layout.columns[0])]
            self.id = leftovers[0] if len(leftovers) == 1 else None
        self.cells = LabelCells(survey.path, args.missing_labels, args.minus_one)
        self.count = 0  # rows read so far: a generated id numbers rows whose location is not a line

    def read(self, rows: list[dict[str, Any]], locations: list[int | str]) -> list[_Example]:
        examples = []
        for row, where in zip(rows, locations, strict=True):
            self.count += 1
            example = self._example(row, where)
            if example is not None and where not in self.cells.drop:  # missing_labels="drop"
                examples.append(example)
        return examples

    def _example(self, row: dict[str, Any], where: int | str) -> _Example | None:
        args, path = self.args, self.cells.path
        raw = row.get(self.text)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if args.empty_text == "drop":
                self.reading.counters["dropped_empty_text"] += 1
                return None
            raise EmptyTextError("empty or missing text", path=path, line=where, column=self.text,
                                 hint="fix the row, or pass empty_text='drop' (--empty-text drop) to drop such rows")
        raw = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False)
        language = args.language or (str(row.get(self.language) or "").strip() if self.language else "") \
            or self.source.language or UNDETERMINED
        ident = str(row[self.id]).strip() if self.id and row.get(self.id) not in (None, "") else \
            f"{data_stem(self.source.path)}-{where if isinstance(where, int) else self.count}"
        if self.layout.kind == "columns":
            names = [c for c in self.layout.columns if self.cells.read(row.get(c), where, c)]
            self.reading.language_labels[language].update(self.layout.columns)
        else:
            names = _list_labels(row.get(self.layout.columns[0]), where, self.layout.columns[0], args,
                                 self.label_names, self.cells, language, self.reading)
        return _Example(ident, normalize_text(raw), raw, language, names, (path, where))

    def finish(self, skipped_lines: int) -> None:
        """Raise for the file's bad label cells; count what was dropped, zeroed or skipped."""
        self.cells.check()
        self.reading.counters["dropped_missing_labels"] += len(self.cells.drop)
        self.reading.counters["missing_labels_read_as_zero"] += self.cells.zeroed
        self.reading.counters["skipped_bad_lines"] += skipped_lines


def _read_examples(table: Table, source: Source, args: DataArgs, label_names: list[str] | None,
                   reading: Reading) -> list[_Example]:
    reader = RowReader(ColumnSurvey.of(table), source, args, label_names, reading)
    examples = reader.read(table.rows, table.locations)
    reader.finish(len(table.skipped_lines))
    return examples


def _list_labels(value: Any, where: int | str, column: str, args: DataArgs, label_names: list[str] | None,
                 cells: LabelCells, language: str, reading: Reading) -> list[str]:
    """The labels of one list-layout cell: names, ids, or a {label: 0/1} object (whose keys are the labels that
    row's language was annotated with)."""
    try:
        items = split_label_list(value, args.label_delimiter)
    except (ValueError, TypeError) as err:
        raise LabelValueError(f"cannot read the label list {value!r} ({err})", path=cells.path, line=where,
                              column=column,
                              hint="write a JSON list or object, names joined by | ; or , or integer ids") from None
    if items is None:  # NA: a missing cell
        cells.read(None, where, column)
        return []
    if isinstance(items, dict):
        keys = resolve_items(list(items), label_names, args.label_id_base, cells.path, where, column)
        reading.language_labels[language].update(keys)
        reading.dict_keys.update(dict.fromkeys(keys))
        return [key for key in keys if cells.read(items[key], where, f"{column}.{key}")]
    reading.list_languages.add(language)
    return resolve_items(items, label_names, args.label_id_base, cells.path, where, column)


def _stratified_split(examples: list[_Example], labels: list[str], size: float, seed: int
                      ) -> tuple[list[_Example], list[_Example]]:
    import numpy as np
    from iterstrat.ml_stratifiers import MultilabelStratifiedShuffleSplit

    if len(examples) < 4:
        raise DataError(f"only {len(examples)} training rows: too few to hold out a validation split",
                        hint="give a validation file, or validation_size=0")
    index = {label: j for j, label in enumerate(labels)}
    languages = sorted({e.language for e in examples})
    lang_index = {lang: j for j, lang in enumerate(languages)}
    y = np.zeros((len(examples), len(labels) + len(languages) + 1), dtype=np.int8)
    for i, e in enumerate(examples):
        for name in e.names:
            y[i, index[name]] = 1
        y[i, len(labels) + lang_index[e.language]] = 1
        y[i, -1] = int(not e.names)
    splitter = MultilabelStratifiedShuffleSplit(n_splits=1, test_size=size, random_state=seed)
    train_idx, val_idx = next(splitter.split(np.zeros(len(examples)), y))
    return [examples[i] for i in sorted(train_idx)], [examples[i] for i in sorted(val_idx)]


def check_ids(split: str, examples: list[_Example], seen: dict[str, tuple[str, int | str]] | None = None
              ) -> dict[str, tuple[str, int | str]]:
    """Raise for an id that `split` repeats; `seen` holds the ids of the split's earlier chunks, and the ids so far
    are returned (where each was first seen)."""
    seen = {} if seen is None else seen
    for e in examples:
        if e.id in seen:
            first_path, first_where = seen[e.id]
            raise DuplicateIdError(
                f"duplicate id {e.id!r} in the {split} split (first at {first_path}, "
                f"{'line ' if isinstance(first_where, int) else ''}{first_where})",
                path=e.location[0], line=e.location[1],
                hint="ids must be unique; drop the id column (id_column) to generate ids",
            )
        seen[e.id] = e.location
    return seen


def load_data(data: str | Path | DataArgs | None = None, **options: Any) -> MultiLabelData:
    """Load labelled text for multi-label classification.

    `load_data("brighter/")`, `load_data("train.csv", validation="dev.csv", label_columns=["a", "b"])`, or
    `load_data(DataArgs(...))`. Options are the fields of `DataArgs`. Raises a `DataError` subclass naming the
    file, line and column of bad input.
    """
    args = checked_args(data, options)
    # The bytes this load learns from, taken before reading: a resumed run or a refit compares them with its own.
    files = inputs_digest({name: getattr(args, name) for name in DATA_INPUTS})
    tables, roots = _read_tables(args)
    label_names = find_label_names(args, roots)
    reading = Reading()
    examples = _read_splits(tables, args, label_names, reading)
    labels = label_list({n for rows in examples.values() for e in rows for n in e.names}, label_names, reading,
                        args.data)
    info: dict[str, Any] = {"args": asdict(args), "sources": {s: [t.path for t, _ in tables[s]] for s in tables},
                            "validation_source": "given" if "validation" in examples else None, "files": files}
    _split_off(examples, labels, args, info)
    _add_extra(examples, info)
    found_warnings = _data_warnings(examples, labels, reading.notes)
    for message in found_warnings:
        warnings.warn(message, DataWarning, stacklevel=2)
    info.update({k: v for k, v in reading.counters.items() if v})
    return MultiLabelData(_to_dataset_dict(examples, labels), labels, annotated_labels(reading, labels), info,
                          found_warnings)


def checked_args(data: str | Path | DataArgs | None, options: dict[str, Any] | None = None) -> DataArgs:
    """`data` and `options` as one checked `DataArgs` (a copy; comma-separated lists split)."""
    options = options or {}
    args = replace(data, **options) if isinstance(data, DataArgs) else \
        DataArgs(data=str(data) if data is not None else None, **options)
    if not args.data:
        raise ConfigError("no data given (hint: --data PATH)")
    if isinstance(args.label_columns, str):
        args.label_columns = [c.strip() for c in args.label_columns.split(",") if c.strip()]
    if isinstance(args.columns, str):
        args.columns = [c.strip() for c in args.columns.split(",") if c.strip()]
    for name in ("validation_size", "threshold_holdout"):
        if not 0 <= getattr(args, name) < 1:
            raise ConfigError(f"{name} must be in [0, 1), got {getattr(args, name)}")
    return args


def reader_options(args: DataArgs) -> dict[str, Any]:
    """The options of `read_table` and `stream_table` that come from the data options."""
    return {"fmt": args.format, "encoding": args.encoding, "header": args.header, "columns": args.columns,
            "quoting": args.quoting, "bad_lines": args.bad_lines, "known_columns": _KNOWN_COLUMNS,
            "delimiter": args.delimiter}


def _read_tables(args: DataArgs) -> tuple[dict[str, list[tuple[Table, Source]]], list[Path]]:
    """Every file of every split, read as a table ({split: [(table, source)]}), and the data's root folders."""
    files, roots = split_files(args)
    return {split: [(table or read_table(source.path, **reader_options(args)), source) for source, table in sources]
            for split, sources in files.items()}, roots


def _read_splits(tables: dict[str, list[tuple[Table, Source]]], args: DataArgs, label_names: list[str] | None,
                 reading: Reading) -> dict[str, list[_Example]]:
    """The examples of each split, in split order; `reading` collects labels per language, counts and notes."""
    examples: dict[str, list[_Example]] = {}
    for split in tables:
        examples[split] = []
        for table, source in tables[split]:
            examples[split] += _read_examples(table, source, args, label_names, reading)
            reading.column_order.update(dict.fromkeys(table.columns))
        if not examples[split]:
            raise DataError(f"the {split} split has no rows left", path=str(tables[split][0][0].path),
                            hint="every row was dropped (empty text or missing labels); check the options")
    reading.column_order.update(reading.dict_keys)
    if "train" not in examples:
        raise DataError("no training split found", path=args.data,
                        hint="name a file or folder train (or give one file)")
    for split, rows in examples.items():
        check_ids(split, rows)
    return examples


def label_list(names: set[str], label_names: list[str] | None, reading: Reading, path: str) -> list[str]:
    """The labels: the given names, else the label columns in file order and then the other `names` seen in list
    cells, sorted."""
    if label_names is not None:
        labels = list(label_names)
        unnamed = sorted(names - set(labels))
        if unnamed:
            raise DataError(f"label {unnamed[0]!r} is not among the label names ({list_examples(labels)})", path=path,
                            hint="add it to labels.txt (or --label-names), or drop the file that names other labels")
    else:
        annotated = set().union(*reading.language_labels.values()) if reading.language_labels else set()
        labels = [c for c in reading.column_order if c in annotated]
        labels += sorted(names - set(labels))
    if not labels:
        raise DataError("no labels found in the data", path=path)
    return labels


def annotated_labels(reading: Reading, labels: list[str]) -> dict[str, list[str]]:
    """The labels each language was annotated with, in the order of `labels` (every one for list-layout rows)."""
    everything = set(labels)
    found = {**reading.language_labels, **{language: everything for language in reading.list_languages}}
    return {language: [x for x in labels if x in names] for language, names in sorted(found.items())}


def _split_off(examples: dict[str, list[_Example]], labels: list[str], args: DataArgs, info: dict[str, Any]) -> None:
    """Hold out a stratified validation slice of train (no validation given) or a threshold holdout (one given)."""
    seed = args.split_random_state
    if "validation" not in examples and args.validation_size > 0:
        examples["train"], examples["validation"] = _stratified_split(examples["train"], labels,
                                                                      args.validation_size, seed)
        info["validation_source"] = f"stratified {args.validation_size:.0%} of train (seed {seed})"
    elif "validation" in examples and args.threshold_holdout > 0:
        examples["train"], examples["holdout"] = _stratified_split(examples["train"], labels,
                                                                   args.threshold_holdout, seed)
        info["holdout_source"] = f"stratified {args.threshold_holdout:.0%} of train (seed {seed})"


def _add_extra(examples: dict[str, list[_Example]], info: dict[str, Any]) -> None:
    """The extra data's rows join the training split (never validation: held-out rows stay comparable)."""
    if EXTRA in examples:
        extra = examples.pop(EXTRA)
        examples["train"] = examples["train"] + extra
        check_ids("train", examples["train"])
        info["extra_rows"] = len(extra)


def _data_warnings(examples: dict[str, list[_Example]], labels: list[str], notes: list[str]) -> list[str]:
    """The reader's notes, ids shared between splits, and labels that never occur in training."""
    found = list(notes)
    ids_by_split = {s: {e.id for e in rows} for s, rows in examples.items()}
    for a, b in (("train", "validation"), ("train", "test"), ("validation", "test"), ("holdout", "validation")):
        shared = ids_by_split.get(a, set()) & ids_by_split.get(b, set())
        if shared:
            found.append(f"{len(shared)} ids appear in both {a} and {b} (e.g. {sorted(shared)[0]!r})")
    train_counts = Counter(n for e in examples["train"] for n in e.names)
    absent = [label for label in labels if train_counts[label] == 0]
    if absent:
        found.append(f"{len(absent)} label(s) never occur in the training data: {list_examples(absent)}")
    return found


def _to_dataset_dict(examples: dict[str, list[_Example]], labels: list[str]):
    import pyarrow as pa
    from datasets import Dataset, DatasetDict, Features, List, Value
    from datasets.table import InMemoryTable

    index = {label: j for j, label in enumerate(labels)}
    features = Features({"id": Value("string"), "text": Value("string"), "raw_text": Value("string"),
                         "language": Value("string"), "labels": List(Value("int8"))})
    out = {}
    for split, rows in examples.items():
        vectors = []
        for e in rows:
            vector = [0] * len(labels)
            for name in e.names:
                vector[index[name]] = 1
            vectors.append(vector)
        table = pa.table({"id": [e.id for e in rows], "text": [e.text for e in rows],
                          "raw_text": [e.raw_text for e in rows], "language": [e.language for e in rows],
                          "labels": vectors}, schema=features.arrow_schema)
        out[split] = Dataset(InMemoryTable(table))  # Dataset.from_dict would encode row by row
    return DatasetDict(out)


def column_values(ds, name: str) -> list:
    """One column of a `datasets.Dataset` as a list, read from Arrow at once (iterating `ds[name]` converts each
    row through the formatter, over ten times slower)."""
    return ds.data.column(name).to_pylist()

