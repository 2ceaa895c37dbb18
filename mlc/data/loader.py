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
    FileAccessError,
    LabelValueError,
    MissingFileError,
)
from mlc.core.text import normalize_text
from mlc.data.args import DataArgs
from mlc.data.labels import (
    LabelCells,
    Layout,
    describe_columns,
    detect_layout,
    list_examples,
    resolve_items,
    split_label_list,
)
from mlc.data.languages import UNDETERMINED
from mlc.data.readers import (
    EXTENSIONS,
    Table,
    data_stem,
    data_suffix,
    read_lines,
    read_saved_dataset,
    read_table,
)

SPLIT_ALIASES = {"train": "train", "training": "train", "dev": "validation", "development": "validation",
                 "validation": "validation", "valid": "validation", "val": "validation", "test": "test"}
SPLIT_ORDER = ("train", "validation", "test")
TEXT_COLUMNS = ("text", "sentence", "comment_text", "content", "review", "body", "message", "utterance",
                "phrase", "tweet", "document")
ID_COLUMNS = ("id", "idx", "uid", "example_id", "guid")
LANGUAGE_COLUMNS = ("language", "lang", "locale", "lang_code", "language_code")
LABEL_NAME_FILES = ("labels.txt", "label_names.txt", "classes.txt", "emotions.txt")
_KNOWN_COLUMNS = {*TEXT_COLUMNS, *ID_COLUMNS, *LANGUAGE_COLUMNS, "labels", "label"}


class DataWarning(UserWarning):
    """Something worth knowing about the data that does not stop loading (e.g. a label absent from training)."""


@dataclass
class Source:
    path: Path
    language: str | None  # from the file name, when the file sits among per-language files


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

    def summary(self) -> dict[str, Any]:
        from mlc.data.summary import summarize

        return summarize(self)

    def summary_table(self) -> str:
        from mlc.data.summary import format_summary

        return format_summary(self.summary())


def _entries(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except OSError as err:
        raise FileAccessError(err, "cannot list") from None


def _data_files(folder: Path) -> list[Path]:
    return [p for p in _entries(folder) if p.is_file() and data_suffix(p) in EXTENSIONS and not p.name.startswith(".")]


def _group(files: list[Path]) -> list[Source]:
    """Files side by side: with two or more, each file's stem is its language (brighter/train/eng.csv, or
    eng.csv.gz)."""
    return [Source(f, data_stem(f) if len(files) > 1 else None) for f in files]


def discover(path: str | Path) -> tuple[dict[str, list[Source]], Path | None]:
    """Map a path to splits and their source files; the second value is set for a save_to_disk folder."""
    root = Path(path).expanduser()
    if not root.exists():
        raise MissingFileError("no such file or folder", path=str(root), hint="check the path")
    if root.is_file():
        return {"train": [Source(root, None)]}, None
    if (root / "dataset_dict.json").is_file() or (root / "state.json").is_file():
        return {}, root
    splits: dict[str, list[Source]] = {}
    for sub in (p for p in _entries(root) if p.is_dir()):
        name = SPLIT_ALIASES.get(sub.name.lower())
        if name and _data_files(sub):
            if name in splits:
                raise DataError(f"two folders give the {name} split", path=str(root),
                                hint="keep one of dev/validation/valid/val")
            splits[name] = _group(_data_files(sub))
    files = _data_files(root)
    split_files = {f: SPLIT_ALIASES[data_stem(f).lower()] for f in files if data_stem(f).lower() in SPLIT_ALIASES}
    if splits or split_files:
        for f, name in split_files.items():
            if name in splits:
                raise DataError(f"both a folder and a file give the {name} split", path=str(f))
            splits[name] = [Source(f, None)]
        return splits, None
    if not files:
        raise DataError("folder has no data files", path=str(root),
                        hint=f"expected files ending in {', '.join(sorted(set(EXTENSIONS)))}, or train/dev folders")
    return {"train": _group(files)}, None


def _label_names(args: DataArgs, roots: list[Path]) -> list[str] | None:
    spec = args.label_names
    if isinstance(spec, (list, tuple)):  # the Python API may pass the names themselves
        spec = ",".join(map(str, spec))
    if spec is None:
        for root in roots:
            folder = root if root.is_dir() else root.parent
            for name in LABEL_NAME_FILES:
                if (folder / name).is_file():
                    spec = str(folder / name)
                    break
            if spec:
                break
    if spec is None:
        return None
    path = Path(spec).expanduser()
    if path.is_file():
        names = [line.strip() for line in read_lines(path) if line.strip()]
    elif "," in spec or not any(sep in spec for sep in "/\\."):
        names = [n.strip() for n in spec.split(",") if n.strip()]
    else:
        raise MissingFileError("label names file not found", path=spec)
    if len(set(names)) != len(names):
        raise ConfigError(f"label names repeat a name: {names}")
    return names


def pick_column(table: Table, explicit: str | None, candidates: tuple[str, ...], what: str, option: str,
          required: bool) -> str | None:
    if explicit:
        if explicit not in table.columns:
            raise ColumnError(f"{what} column not found", path=table.path, column=explicit,
                              hint=describe_columns(table))
        return explicit
    lowered = {c.strip().lower(): c for c in table.columns}
    for name in candidates:
        if name in lowered:
            return lowered[name]
    if required:
        raise ColumnError(f"no {what} column", path=table.path, hint=f"{describe_columns(table)}; name it with {option}")
    return None


def _headerless_text_column(table: Table) -> str:
    def mean_len(col: str) -> float:
        return sum(len(str(r.get(col) or "")) for r in table.rows) / max(1, len(table.rows))

    return max(table.columns, key=mean_len)


@dataclass
class _Example:
    id: str
    text: str
    raw_text: str
    language: str
    names: list[str]
    location: tuple[str, int | str]


@dataclass
class _Reading:
    """What reading the tables gathers besides examples: counts for the summary, notes (warnings), the labels each
    language was annotated with, the languages of list-layout rows (annotated with every label), and the keys of
    {label: 0/1} cells in order of appearance, and the columns of the tables in order of appearance."""

    counters: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    language_labels: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    list_languages: set[str] = field(default_factory=set)
    dict_keys: dict[str, None] = field(default_factory=dict)
    column_order: dict[str, None] = field(default_factory=dict)


def _read_examples(table: Table, source: Source, args: DataArgs, label_names: list[str] | None,
                   reading: _Reading) -> list[_Example]:
    if table.has_header or args.text_column:
        text_col = pick_column(table, args.text_column, TEXT_COLUMNS, "text", "text_column (--text-column)", True)
    else:
        text_col = _headerless_text_column(table)
    id_col = pick_column(table, args.id_column, ID_COLUMNS, "id", "id_column", False)
    lang_col = pick_column(table, args.language_column, LANGUAGE_COLUMNS, "language", "language_column", False)
    layout: Layout = detect_layout(table, {c for c in (text_col, id_col, lang_col) if c}, args.label_columns,
                                   args.label_column, label_names is not None)
    reading.notes += [f"{table.path}: {note}" for note in layout.notes]
    if layout.kind == "list" and not table.has_header and id_col is None:
        leftovers = [c for c in table.columns if c not in (text_col, layout.columns[0])]
        id_col = leftovers[0] if len(leftovers) == 1 else None
    cells = LabelCells(table, args.missing_labels, args.minus_one)
    examples: list[_Example] = []
    for i, row in enumerate(table.rows):
        where = table.locations[i]
        raw = row.get(text_col)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if args.empty_text == "drop":
                reading.counters["dropped_empty_text"] += 1
                continue
            raise EmptyTextError("empty or missing text", path=table.path, line=where, column=text_col,
                                 hint="fix the row, or pass empty_text='drop' (--empty-text drop) to drop such rows")
        raw = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False)
        language = args.language or (str(row.get(lang_col) or "").strip() if lang_col else "") \
            or source.language or UNDETERMINED
        ident = str(row[id_col]).strip() if id_col and row.get(id_col) not in (None, "") else \
            f"{data_stem(source.path)}-{where if isinstance(where, int) else i + 1}"
        if layout.kind == "columns":
            names = [c for c in layout.columns if cells.read(row.get(c), i, c)]
            reading.language_labels[language].update(layout.columns)
        else:
            names = _list_labels(row.get(layout.columns[0]), i, layout.columns[0], args, label_names, cells,
                                 language, reading)
        if i not in cells.drop:  # missing_labels="drop"
            examples.append(_Example(ident, normalize_text(raw), raw, language, names, (table.path, where)))
    cells.check()
    reading.counters["dropped_missing_labels"] += len(cells.drop)
    reading.counters["missing_labels_read_as_zero"] += cells.zeroed
    reading.counters["skipped_bad_lines"] += len(table.skipped_lines)
    return examples


def _list_labels(value: Any, index: int, column: str, args: DataArgs, label_names: list[str] | None,
                 cells: LabelCells, language: str, reading: _Reading) -> list[str]:
    """The labels of one list-layout cell: names, ids, or a {label: 0/1} object (whose keys are the labels that
    row's language was annotated with)."""
    table = cells.table
    try:
        items = split_label_list(value, args.label_delimiter)
    except (ValueError, TypeError) as err:
        raise LabelValueError(f"cannot read the label list {value!r} ({err})", path=table.path,
                              line=table.locations[index], column=column,
                              hint="write a JSON list or object, names joined by | ; or , or integer ids") from None
    if items is None:  # NA: a missing cell
        cells.read(None, index, column)
        return []
    if isinstance(items, dict):
        keys = resolve_items(list(items), label_names, args.label_id_base, table, index, column)
        reading.language_labels[language].update(keys)
        reading.dict_keys.update(dict.fromkeys(keys))
        return [key for key in keys if cells.read(items[key], index, f"{column}.{key}")]
    reading.list_languages.add(language)
    return resolve_items(items, label_names, args.label_id_base, table, index, column)


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


def _check_ids(split: str, examples: list[_Example]) -> None:
    seen: dict[str, tuple[str, int | str]] = {}
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


def load_data(data: str | Path | DataArgs | None = None, **options: Any) -> MultiLabelData:
    """Load labelled text for multi-label classification.

    `load_data("brighter/")`, `load_data("train.csv", validation="dev.csv", label_columns=["a", "b"])`, or
    `load_data(DataArgs(...))`. Options are the fields of `DataArgs`. Raises a `DataError` subclass naming the
    file, line and column of bad input.
    """
    args = _checked_args(data, options)
    tables, roots = _read_tables(args)
    label_names = _label_names(args, roots)
    reading = _Reading()
    examples = _read_splits(tables, args, label_names, reading)
    labels = _label_list(examples, label_names, reading, args.data)
    for language in reading.list_languages:
        reading.language_labels[language] = set(labels)
    info: dict[str, Any] = {"args": asdict(args), "sources": {s: [t.path for t, _ in tables[s]] for s in tables},
                            "validation_source": "given" if "validation" in examples else None}
    _split_off(examples, labels, args, info)
    found_warnings = _data_warnings(examples, labels, reading.notes)
    for message in found_warnings:
        warnings.warn(message, DataWarning, stacklevel=2)
    info.update({k: v for k, v in reading.counters.items() if v})
    ordered = {lang: [x for x in labels if x in names] for lang, names in sorted(reading.language_labels.items())}
    return MultiLabelData(_to_dataset_dict(examples, labels), labels, ordered, info, found_warnings)


def _checked_args(data: str | Path | DataArgs | None, options: dict[str, Any]) -> DataArgs:
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


def _read_tables(args: DataArgs) -> tuple[dict[str, list[tuple[Table, Source]]], list[Path]]:
    """Every file of every split, read as a table ({split: [(table, source)]}), and the data's root folders."""
    discovered, saved = discover(args.data)
    roots = [Path(args.data).expanduser()]
    for split, extra in (("validation", args.validation), ("test", args.test)):
        if extra:
            more, more_saved = discover(extra)
            if more_saved or set(more) != {"train"}:
                raise DataError(f"the {split} path must be one file or a folder of per-language files",
                                path=str(extra))
            discovered[split] = more["train"]
            roots.append(Path(extra).expanduser())
    tables: dict[str, list[tuple[Table, Source]]] = defaultdict(list)
    if saved is not None:
        for name, table in read_saved_dataset(saved).items():
            tables[SPLIT_ALIASES.get(name.lower(), name)].append((table, Source(saved, None)))
    for split, sources in discovered.items():
        for source in sources:
            table = read_table(source.path, fmt=args.format, encoding=args.encoding, header=args.header,
                               columns=args.columns, quoting=args.quoting, bad_lines=args.bad_lines,
                               known_columns=_KNOWN_COLUMNS)
            tables[split].append((table, source))
    return tables, roots


def _read_splits(tables: dict[str, list[tuple[Table, Source]]], args: DataArgs, label_names: list[str] | None,
                 reading: _Reading) -> dict[str, list[_Example]]:
    """The examples of each split, in split order; `reading` collects labels per language, counts and notes."""
    examples: dict[str, list[_Example]] = {}
    for split in sorted(tables, key=lambda s: SPLIT_ORDER.index(s) if s in SPLIT_ORDER else 99):
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
        _check_ids(split, rows)
    return examples


def _label_list(examples: dict[str, list[_Example]], label_names: list[str] | None, reading: _Reading,
                path: str) -> list[str]:
    """The labels: the given names, else the label columns in file order and then the names seen in list cells."""
    if label_names is not None:
        labels = list(label_names)
    else:
        annotated = set().union(*reading.language_labels.values()) if reading.language_labels else set()
        labels = [c for c in reading.column_order if c in annotated]
        labels += sorted({n for rows in examples.values() for e in rows for n in e.names} - set(labels))
    if not labels:
        raise DataError("no labels found in the data", path=path)
    return labels


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

