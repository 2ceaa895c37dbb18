"""Labelled data read in chunks, so that large labelled files are scored without holding their texts.

`read_labelled` reads each file of the chosen split twice: a first pass surveys its columns (which hold the text,
the id, the language and the labels: `ColumnSurvey`), a second keeps every row's id, language and labels in a
bundle's label order and finds every error in the data. The texts are not kept: `StreamedTexts` reads them again,
in the same order and with the same rows dropped, whenever they are iterated (to score them, to write them out).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from mlc.core.chunking import CHUNK_ROWS, batched
from mlc.core.errors import ConfigError, DataError, MlcError
from mlc.core.fingerprint import changed_error, check_unchanged, file_stamp
from mlc.data.aligned import LabelledRows, absent_labels_note, annotation_mask
from mlc.data.args import DataArgs
from mlc.data.labels import ColumnSurvey
from mlc.data.layout import Source, find_label_names, split_files
from mlc.data.loader import (
    Reading,
    RowReader,
    annotated_labels,
    check_ids,
    checked_args,
    label_list,
    reader_options,
)
from mlc.data.readers import Chunk, Table, stream_table

TextsCallback = Callable[[list[str], list[str]], None]


@dataclass
class _File:
    """One file of the data (or a save_to_disk split, `table`, already in memory) and its surveyed columns."""

    source: Source
    table: Table | None
    args: DataArgs
    survey: ColumnSurvey | None = None
    skipped_lines: int = 0
    stamp: tuple[int, int, str] | None = None  # size, modification time and digest when it was surveyed

    def surveyed(self, size: int) -> _File:
        """Survey the columns of every row (the first pass)."""
        if self.table is not None:
            self.survey = ColumnSurvey.of(self.table)
            return self
        self.stamp = file_stamp(self.source.path)
        stream = self._stream(size)
        for chunk in stream:
            self.survey = self.survey or ColumnSurvey(stream.path, has_header=stream.has_header)
            self.survey.add(chunk.rows, stream.columns)
        self.survey = self.survey or ColumnSurvey(stream.path, list(stream.columns), stream.has_header)
        return self

    def chunks(self, size: int) -> Iterator[Chunk]:
        """The rows in chunks of `size`; `skipped_lines` counts the bad lines skipped once the last is out."""
        if self.table is not None:
            for start in range(0, len(self.table.rows), size):
                yield Chunk(self.table.rows[start:start + size], self.table.locations[start:start + size])
            return
        stream = self._stream(size)
        yield from stream
        self.skipped_lines = len(stream.skipped_lines)

    def _stream(self, size: int):
        return stream_table(self.source.path, **reader_options(self.args), chunk_rows=size)

    def check_unchanged(self) -> None:
        check_unchanged(self.source.path, self.stamp)


class StreamedTexts:
    """The texts of labelled rows, never all in memory: each iteration reads them again from their files, in row
    order (`chunks(n)`: lists of n texts, the last one shorter)."""

    def __init__(self, files: list[_File], args: DataArgs, label_names: list[str] | None, rows: int) -> None:
        self.files, self.args, self.label_names, self.rows = files, args, label_names, rows

    def __len__(self) -> int:
        return self.rows

    def __iter__(self) -> Iterator[str]:
        for chunk in self.chunks(CHUNK_ROWS):
            yield from chunk

    def chunks(self, size: int) -> Iterator[list[str]]:
        count = 0
        for block in batched(self._texts(size), size):
            count += len(block)
            yield block
        for file in self.files:  # the texts just scored are the ones whose labels were read
            file.check_unchanged()
        if count != self.rows:
            raise changed_error(self.files[0].source.path)

    def _texts(self, size: int) -> Iterator[str]:
        for file in self.files:
            file.check_unchanged()
            reader = RowReader(file.survey, file.source, self.args, self.label_names, Reading())
            try:
                for chunk in file.chunks(size):
                    yield from [example.text for example in reader.read(chunk.rows, chunk.locations)]
            except MlcError:  # a row that read well before: the file changed under us, which is what to say
                file.check_unchanged()
                raise


def text_chunks(texts: Sequence[str] | StreamedTexts, size: int) -> Iterator[Sequence[str]]:
    """`texts` in consecutive chunks of `size` (a list is sliced; streamed texts are read again)."""
    return texts.chunks(size) if isinstance(texts, StreamedTexts) else batched(texts, size)


def pick_split(available: list[str], split: str) -> str:
    """The split that `split` names among `available` (auto: test, else validation, else train; all: every one)."""
    if split == "auto":
        found = [s for s in ("test", "validation", "train") if s in available]
        if not found:
            raise ConfigError(f"--split auto: the data has no test, validation or train split (it has "
                              f"{', '.join(available)}; hint: name one with --split)")
        return found[0]
    if split != "all" and split not in available:
        raise ConfigError(f"--split {split}: the data has only {', '.join(available)} (hint: use --split auto)")
    return split


def read_labelled(args: DataArgs, labels: list[str], split: str = "auto", chunk_rows: int = CHUNK_ROWS,
                  on_texts: TextsCallback | None = None) -> LabelledRows:
    """The rows of `split` (see `pick_split`) of `args.data` aligned with `labels` (a superset of the data's:
    another label is an error), with `StreamedTexts` for texts. `on_texts(texts, languages)` sees each chunk's
    texts and given languages while they are read (for work that needs every text once)."""
    args = checked_args(args)
    files, roots = split_files(args)
    chosen = pick_split(list(files), split)
    parts = list(files) if chosen == "all" else [chosen]
    label_names = find_label_names(args, roots)
    reading = Reading()
    found, read = _Found(labels), []
    for part in parts:
        seen_ids: dict = {}
        for source, table in files[part]:
            file = _File(source, table, args).surveyed(chunk_rows)
            reader = RowReader(file.survey, source, args, label_names, reading)
            file.check_unchanged()
            try:
                for chunk in file.chunks(chunk_rows):
                    examples = reader.read(chunk.rows, chunk.locations)
                    check_ids(part, examples, seen_ids)
                    found.add(examples)
                    if on_texts is not None:
                        on_texts([e.text for e in examples], [e.language for e in examples])
                reader.finish(file.skipped_lines)
            except MlcError:  # a changed file is said as such, not as the odd row it made
                file.check_unchanged()
                raise
            file.check_unchanged()
            reading.column_order.update(dict.fromkeys(file.survey.columns))
            read.append(file)
    reading.column_order.update(reading.dict_keys)
    data_labels = label_list(found.names, label_names, reading, args.data)
    unknown = [label for label in data_labels if label not in labels]
    if unknown:
        raise DataError(f"the data has labels the bundle does not know: {', '.join(unknown)}", path=args.data,
                        hint=f"the bundle's labels are {', '.join(labels)}; rename or drop the others")
    truth = np.concatenate(found.truth) if found.truth else np.zeros((0, len(labels)), dtype=np.int8)
    mask = annotation_mask(found.languages, annotated_labels(reading, data_labels), data_labels, labels)
    texts = StreamedTexts(read, args, label_names, len(found.ids))
    return LabelledRows(found.ids, texts, found.languages, truth, mask, chosen,
                        absent_labels_note(labels, data_labels))


class _Found:
    """What the second pass keeps of each row: id, language and truth over the bundle's labels."""

    def __init__(self, labels: list[str]) -> None:
        self.position = {label: j for j, label in enumerate(labels)}
        self.ids: list[str] = []
        self.languages: list[str] = []
        self.truth: list[np.ndarray] = []
        self.names: set[str] = set()

    def add(self, examples: list) -> None:
        truth = np.zeros((len(examples), len(self.position)), dtype=np.int8)
        for i, example in enumerate(examples):
            self.names.update(example.names)
            truth[i, [self.position[n] for n in example.names if n in self.position]] = 1
        self.ids += [e.id for e in examples]
        self.languages += [e.language for e in examples]
        self.truth.append(truth)
