"""Options of `python -m mlc.evaluate`: the data to score, the model, and what to report or tune."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from mlc.core.errors import ConfigError
from mlc.core.options import option
from mlc.data.args import DataArgs
from mlc.inference.args import InferenceArgs
from mlc.metrics.thresholds import THRESHOLD_OBJECTIVES

SPLITS = ("auto", "train", "validation", "test", "all")


# Bootstrap rounds resample every row: 10,000 rounds keep a 95% interval's ends within about 0.1 point of their limit.
MAX_BOOTSTRAP = 10_000


@dataclass
class EvaluateArgs(DataArgs, InferenceArgs):
    OPTIONS_TITLE: ClassVar[str] = "evaluation"

    split: str = option("auto", "Which rows to score: auto (test if the data has one, else validation, else every "
                              "row), train, validation, test, or all.", choices=SPLITS)
    output: str | None = option(None, "Folder for metrics.json, report.md, predictions.csv and plots/ (written "
                                    "atomically; never one that holds or lies inside the data or the bundle).")
    overwrite: bool = option(False, "Replace an existing --output folder (without it an existing folder is refused).")
    report_format: str = option("table", "What goes to stdout: table, json, or markdown.",
                              choices=("table", "json", "markdown"))
    bootstrap: int = option(1000, "Bootstrap rounds for 95% intervals of micro- and macro-F1 (0: none; at most "
                                  f"{MAX_BOOTSTRAP:,}, which takes minutes on a million rows).", at_least=0,
                            at_most=MAX_BOOTSTRAP)
    plots: bool = option(True, "Write PNG plots into OUTPUT/plots (heatmap, precision-recall, F1 against "
                             "threshold).")
    tune_thresholds: bool = option(False, "Tune per-label thresholds on this split, write them into the bundle "
                                        "atomically, and print the metrics before and after.")
    tune_objective: str = option("f1", "What tuning maximises: f1 (each label's F1), shrunk-f1 (each label's F1 "
                                     "threshold pulled towards one global threshold in proportion to how rare the "
                                     "label is), global-f1 (one threshold for all labels), language-macro-f1 (the "
                                     "mean over languages of each language's macro-F1), per-language-f1 (a "
                                     "threshold per language and label, see mlc.train), or the best recall at a "
                                     "precision (or the best precision at a recall) of --target.",
                               choices=THRESHOLD_OBJECTIVES)
    target: float = option(0.9, "The precision or recall to reach with --tune-objective precision|recall.", above=0, at_most=1)

    # Evaluation data is scored as given: it never splits off a validation or holdout slice, so these data options
    # are not offered (mlc.core.options) and are fixed at 0 here.
    HIDDEN_OPTIONS: ClassVar[tuple[str, ...]] = ("validation_size", "threshold_holdout", "split_seed")

    def __post_init__(self) -> None:
        if self.validation_size not in (0.0, DataArgs.validation_size) or self.threshold_holdout:
            raise ConfigError("evaluation scores its data as given: validation_size and threshold_holdout do not "
                              "apply (hint: pick rows with --split)")
        self.validation_size = 0.0
        self.threshold_holdout = 0.0
