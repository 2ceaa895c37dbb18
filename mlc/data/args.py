"""The options of the data loader: one dataclass shared by the Python API, config files and every CLI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from mlc.core.options import Options, option


@dataclass
class InputArgs(Options):
    """How texts are found in a file: the options prediction shares with the data loader."""

    OPTIONS_TITLE: ClassVar[str] = "input"

    encoding: str = option("utf-8", "Text encoding of the files (e.g. latin-1, cp1252).")
    text_column: str | None = option(None, "Column holding the text (default: text, sentence, comment_text, ...).")
    language_column: str | None = option(None, "Column holding each row's language (default: language or lang if "
                                                "present); a label never annotated in a row's language is not "
                                                "predicted for it.")


@dataclass
class DataArgs(InputArgs):
    """Where labelled data is and how to read it."""

    OPTIONS_TITLE: ClassVar[str] = "data"

    data: str | None = option(None, "Training data: a file (csv, tsv, jsonl, json, parquet), a folder of per-language "
                                  "files (train/<lang>.csv), a folder with train/dev/test files or subfolders, or a "
                                  "folder written by datasets.save_to_disk.")
    validation: str | None = option(None, "Validation data (file or folder); default: the data's own dev/validation "
                                        "split, else a stratified slice of the training data.")
    test: str | None = option(None, "Test data (file or folder); default: the data's own test split, if any.")
    extra_data: str | None = option(None, "More labelled rows for training alone (a file or folder, e.g. the demo's "
                                          "corrections file): added to the training split after the validation "
                                          "split is drawn, with the same labels.")
    format: str = option("auto", "File format: auto (from the extension), csv, tsv, jsonl, json or parquet.",
                       choices=("auto", "csv", "tsv", "jsonl", "json", "parquet"))
    header: bool | None = option(None, "Whether CSV/TSV files start with a header line (default: guessed).")
    columns: list[str] | None = option(None, "Column names of headerless CSV/TSV files, comma-separated.")
    delimiter: str | None = option(None, "Field delimiter of CSV/TSV files (default: tab for .tsv; comma for .csv, or "
                                       "a semicolon when the first line has semicolons and no commas).")
    quoting: bool = option(True, "Honour CSV quotes (a quote that does not close a field cleanly, or one that merges "
                               "rows, is an error); turn off for files whose quote characters are plain text.")
    bad_lines: str = option("error", "Lines with the wrong number of fields or invalid JSON: error, or skip "
                                   "(and count them in the summary).", choices=("error", "skip"))
    id_column: str | None = option(None, "Column holding a unique row id (default: id if present, else generated).")
    language: str | None = option(None, "Language of every row (overrides file names and columns).")
    label_columns: list[str] | None = option(None, "0/1 label columns, comma-separated (default: detected).")
    label_column: str | None = option(None, "One column holding each row's labels: a JSON list, names joined by a "
                                          "delimiter, integer ids, or a JSON object {label: 0/1}. A label-named "
                                          "column of 0/1 alone is one binary label.")
    missing_labels: str = option("error", "Label cells that are blank or NA (NA, N/A, NaN, null, None, ?, -) in 0/1 "
                                        "columns, or NA in a list column: error (naming the first and how many), "
                                        "zero (read as 0, counted), or drop (drop those rows, counted).",
                               choices=("error", "zero", "drop"))
    minus_one: str = option("error", "-1 in a 0/1 label column: error, zero (a -1/1 encoding: -1 means the label does "
                                   "not apply), or missing (-1 marks an unannotated cell: --missing-labels decides).",
                          choices=("error", "zero", "missing"))
    label_delimiter: str | None = option(None, "Delimiter of label names in a list column (default: | ; or ,).")
    label_names: str | None = option(None, "Label names for integer ids: a file with one name per line, or names "
                                         "comma-separated (default: labels.txt beside the data, if present).")
    label_id_base: int = option(0, "The id of the first label name (0, or 1 for 1-based ids).", at_least=0)
    empty_text: str = option("error", "Rows with empty or missing text: error, or drop (and count them).",
                           choices=("error", "drop"))
    validation_size: float = option(0.1, "Fraction of the training rows held out for validation when no "
                                       "validation split is given (stratified by language and labels); 0 for none.", at_least=0, below=1)
    threshold_holdout: float = option(0.0, "When a validation split is given: fraction of the training rows held "
                                          "back (stratified) to tune thresholds on, together with validation; "
                                          "0 for none. Without one, the validation slice serves already.", at_least=0, below=1)
    seed: int = option(42, "Random seed (validation split, sampling, initialisation).", at_least=0, below=2**32)
    split_seed: int | None = option(None, "Seed of the validation and holdout splits alone (default: seed), to vary "
                                        "the training seed over the same held-out rows (seed studies, ensembles).", at_least=0, below=2**32)

    @property
    def split_random_state(self) -> int:
        """The seed of the stratified splits: split_seed, or seed when it is unset."""
        return self.seed if self.split_seed is None else self.split_seed
