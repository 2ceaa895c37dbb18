"""Options of `python -m mlc.predict` and `python -m mlc.evaluate`: dataclasses shared by flags, config files and
the Python API, like `TrainArgs`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .data.args import DataArgs, _opt
from .errors import ConfigError
from .precision import PRECISIONS
from .thresholds import parse_thresholds_option

LONG_TEXT_MODES = ("truncate", "window")
AGGREGATIONS = ("max", "mean")
SPLITS = ("auto", "train", "validation", "test", "all")
TUNE_OBJECTIVES = ("f1", "shrunk-f1", "global-f1", "language-macro-f1", "per-language-f1", "precision", "recall")


@dataclass
class InferenceArgs:
    model: str = _opt("default", "A bundle folder written by python -m mlc.train, or 'default' (the demo bundle "
                                 "fine-tuned from the embedded model on examples/, built on first use).")
    cache_dir: str | None = _opt(None, "Cache of the default model and demo bundle (default $MLC_CACHE_DIR or "
                                       "~/.cache/mlc).")
    device: str = _opt("auto", "auto, cpu, cuda, or cuda:N.")
    precision: str = _opt("auto", "auto (the precision the bundle's thresholds were tuned in, where this device has "
                                  "instructions for it, else fp32), fp32, bf16 or fp16 (autocast).", choices=PRECISIONS)
    batch_size: int = _opt(32, "Texts per forward pass (texts are sorted by length and padded per batch).")
    long_text: str = _opt("truncate", "Texts over the bundle's max_length: truncate, or window (score overlapping "
                                      "windows and merge them per label).", choices=LONG_TEXT_MODES)
    stride: int | None = _opt(None, "Tokens shared by consecutive windows with --long-text window (default: a "
                                    "quarter of the bundle's max_length).")
    aggregate: str = _opt("max", "How window scores merge per label: max or mean.", choices=AGGREGATIONS)
    thresholds: str = _opt("bundle", "Decision thresholds: bundle (tuned per label at training), a number for "
                                     "every label, or a JSON file {label: threshold} (others keep the bundle's).")

    def validate_inference(self) -> None:
        """Options that can be checked before the model is loaded."""
        if self.batch_size < 1:
            raise ConfigError(f"--batch-size must be at least 1, got {self.batch_size}")
        if self.stride is not None and self.stride < 0:
            raise ConfigError(f"--stride must be 0 or more, got {self.stride}")
        parse_thresholds_option(self.thresholds)


@dataclass
class PredictArgs(InferenceArgs):
    input: str | None = _opt(None, "Texts to classify: a CSV, TSV, JSONL or JSON file with a text column, a .txt "
                                   "file with one text per line, or - for one text per line on stdin.")
    output: str | None = _opt(None, "Where predictions go: a .csv or .jsonl file (written atomically; never the "
                                    "input), or - for JSON lines on stdout.")
    overwrite: bool = _opt(False, "Replace an existing --output file (without it an existing file is refused).")
    text_column: str | None = _opt(None, "Column holding the text (default: text, sentence, comment_text, ...).")
    language_column: str | None = _opt(None, "Column holding each row's language; labels the bundle never saw "
                                             "annotated in that language are then not predicted.")
    encoding: str = _opt("utf-8", "Text encoding of the input file.")
    progress: bool = _opt(True, "Show a progress bar on stderr.")


@dataclass
class EvaluateArgs(DataArgs, InferenceArgs):
    split: str = _opt("auto", "Which rows to score: auto (test if the data has one, else validation, else every "
                              "row), train, validation, test, or all.", choices=SPLITS)
    output: str | None = _opt(None, "Folder for metrics.json, report.md, predictions.csv and plots/ (written "
                                    "atomically; never one that holds or lies inside the data or the bundle).")
    overwrite: bool = _opt(False, "Replace an existing --output folder (without it an existing folder is refused).")
    report_format: str = _opt("table", "What goes to stdout: table, json, or markdown.",
                              choices=("table", "json", "markdown"))
    bootstrap: int = _opt(1000, "Bootstrap rounds for 95% intervals of micro- and macro-F1 (0: none).")
    plots: bool = _opt(True, "Write PNG plots into OUTPUT/plots (heatmap, precision-recall, F1 against "
                             "threshold).")
    tune_thresholds: bool = _opt(False, "Tune per-label thresholds on this split, write them into the bundle "
                                        "atomically, and print the metrics before and after.")
    tune_objective: str = _opt("f1", "What tuning maximises: f1 (each label's F1), shrunk-f1 (each label's F1 "
                                     "threshold pulled towards one global threshold in proportion to how rare the "
                                     "label is), global-f1 (one threshold for all labels), language-macro-f1 (the "
                                     "mean over languages of each language's macro-F1), per-language-f1 (a "
                                     "threshold per language and label, see mlc.train), or the best recall at a "
                                     "precision (or the best precision at a recall) of --target.",
                               choices=TUNE_OBJECTIVES)
    target: float = _opt(0.9, "The precision or recall to reach with --tune-objective precision|recall.")

    # Evaluation data is scored as given: it never splits off a validation or holdout slice, so these data options
    # are not offered (mlc.cli) and are fixed at 0 here.
    HIDDEN_OPTIONS: ClassVar[tuple[str, ...]] = ("validation_size", "threshold_holdout", "split_seed")

    def __post_init__(self) -> None:
        if self.validation_size not in (0.0, DataArgs.validation_size) or self.threshold_holdout:
            raise ConfigError("evaluation scores its data as given: validation_size and threshold_holdout do not "
                              "apply (hint: pick rows with --split)")
        self.validation_size = 0.0
        self.threshold_holdout = 0.0
