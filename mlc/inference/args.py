"""Options of inference (`Classifier` and `python -m mlc.predict`), on the one options mechanism."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from mlc.bundle.thresholds import parse_thresholds_option
from mlc.core.chunking import CHUNK_ROWS
from mlc.core.errors import ConfigError
from mlc.core.options import Options, check_ranges, option
from mlc.data.args import InputArgs
from mlc.model.dtypes import PRECISIONS

LONG_TEXT_MODES = ("truncate", "window")
AGGREGATIONS = ("max", "mean")
BACKENDS = ("auto", "torch", "onnx", "onnx-int8", "onnx-fp32")


@dataclass
class InferenceArgs(Options):
    OPTIONS_TITLE: ClassVar[str] = "model"

    model: str | None = option(None, "A bundle folder written by python -m mlc.train (python -m mlc.demo builds "
                                     "the demo bundle and prints its folder), or a Hugging Face Hub repository "
                                     "ORG/NAME holding one (downloaded into the Hub cache; HF_HUB_OFFLINE=1 uses "
                                     "the cache alone).")
    revision: str | None = option(None, "The Hub revision (branch, tag or commit) of a --model given as ORG/NAME.")
    device: str = option("auto", "auto, cpu, cuda, or cuda:N.")
    backend: str = option("auto", "auto (on a CPU with onnxruntime installed, the bundle's int8 ONNX graph, else "
                                  "its fp32 one, else torch), torch, onnx (int8 if exported, else fp32), onnx-int8 or "
                                  "onnx-fp32 (see python -m mlc.export).", choices=BACKENDS)
    threads: int | None = option(None, "CPU threads for scoring (default: the cores this process may use).", at_least=1)
    precision: str = option("auto", "auto (the precision the bundle's thresholds were tuned in, where this device has "
                                  "instructions for it, else fp32), fp32, bf16 or fp16 (autocast).", choices=PRECISIONS)
    batch_size: int = option(32, "Texts per forward pass (texts are sorted by length and padded per batch).", at_least=1)
    long_text: str = option("truncate", "Texts over the bundle's max_length: truncate, or window (score overlapping "
                                      "windows and merge them per label).", choices=LONG_TEXT_MODES)
    stride: int | None = option(None, "Tokens shared by consecutive windows with --long-text window (default: a "
                                    "quarter of the bundle's max_length).", at_least=0)
    aggregate: str = option("max", "How window scores merge per label: max or mean.", choices=AGGREGATIONS)
    chunk_rows: int = option(CHUNK_ROWS, "Rows read and scored at a time (memory holds one chunk's texts and token "
                                         "ids; prediction writes each chunk, so a kill loses at most the chunks in "
                                         "progress; under torchrun the processes take turns by chunk).", at_least=1)
    progress: bool = option(True, "Show a progress bar on stderr (rows done, rows per second, time left; under "
                                  "torchrun, on the first process).")
    thresholds: str = option("bundle", "Decision thresholds: bundle (tuned per label at training), a number for "
                                     "every label, or a JSON file {label: threshold} (others keep the bundle's).")

    def scoring_options(self) -> dict:
        """The options of `Classifier.predict_proba` that these flags set."""
        return {"batch_size": self.batch_size, "long_text": self.long_text, "stride": self.stride,
                "aggregate": self.aggregate}

    def validate_inference(self) -> None:
        """Options that can be checked before the model is loaded."""
        if not self.model:
            raise ConfigError("no model given (hint: --model BUNDLE_DIR, a folder written by python -m mlc.train; "
                              "python -m mlc.demo builds the demo bundle and prints its folder)")
        check_ranges(self)
        parse_thresholds_option(self.thresholds)


@dataclass
class PredictArgs(InputArgs, InferenceArgs):
    OPTIONS_TITLE: ClassVar[str] = "prediction"

    input: str | None = option(None, "Texts to classify: a CSV, TSV, JSONL, JSON or Parquet file with a text column "
                                   "(.gz too), a .txt file with one text per line, or - for one text per line on "
                                   "stdin.")
    output: str | None = option(None, "Where predictions go: a .csv, .jsonl or .parquet file (whole or absent: "
                                    "chunks go to OUTPUT.partial/ and are joined at the end; never the input), or - "
                                    "for JSON lines on stdout as they are scored.")
    overwrite: bool = option(False, "Replace an existing --output file (without it an existing file is refused).")
    explain: int = option(0, "Add predicted_words to each row: for each predicted label, its K strongest words and "
                             "their effect (the label's score minus its score with the word left out; every word "
                             "left out in turn, so a text of N words costs N + 1 scorings). 0: none.", at_least=0)
    resume: bool = option(False, "Continue a run that was interrupted (killed, out of time): keep the chunks in "
                                 "OUTPUT.partial/ and score the rest. Needs the same input, bundle and options.")


def thresholds_option(spec: str, classifier) -> float | Mapping[str, float] | Sequence[float] | None:
    """--thresholds as an override of a Classifier's thresholds, checked against its labels: None ('bundle'), one
    number for every label, or a JSON file's {label: threshold} (or list). It is not resolved here: `decide` and
    `resolve_thresholds` apply it over each row's language's tuned thresholds, so labels it does not name keep
    their per-language values."""
    chosen = parse_thresholds_option(spec)
    if chosen is None:
        return None
    try:
        classifier.resolve_thresholds(chosen)  # every value checked once, before any scoring
    except ConfigError as err:
        raise ConfigError(f"--thresholds {spec}: {err}") from None
    return chosen
