"""Options of the demo (`python app.py`), on the one options mechanism: flags, a config file, or environment
variables (a Hugging Face Space sets GRADIO_SERVER_NAME and GRADIO_SERVER_PORT; MLC_MODEL picks a bundle)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from mlc.core.options import Options, check_ranges, option
from mlc.inference.args import BACKENDS

MAX_BATCH_ROWS = 5000


@dataclass
class AppArgs(Options):
    OPTIONS_TITLE: ClassVar[str] = "demo"

    model: str | None = option(None, "A bundle folder written by python -m mlc.train, or a Hugging Face Hub "
                                     "repository ORG/NAME holding one (default: the demo bundle, built from the "
                                     "embedded model on first start and cached).", env="MLC_MODEL")
    revision: str | None = option(None, "The Hub revision (branch, tag or commit) of a --model given as ORG/NAME.",
                                  env="MLC_REVISION")
    cache_dir: str | None = option(None, "Cache of the default model and the demo bundle (default $MLC_CACHE_DIR or "
                                         "~/.cache/mlc).")
    demo_recipe: str = option("head-only", "Without --model, how the demo bundle is built on first start: head-only "
                                           "(the encoder frozen, heads fitted in seconds) or fine-tune (a few "
                                           "minutes on 2 CPU cores).", choices=("head-only", "fine-tune"))
    host: str = option("127.0.0.1", "Address to listen on; 0.0.0.0 for every interface.", env="GRADIO_SERVER_NAME")
    port: int = option(7860, "Port.", env="GRADIO_SERVER_PORT", at_least=1, at_most=65535)
    share: bool = option(False, "Also create a public gradio.live link (needs internet).")
    max_chars: int = option(2000, "Longest text classified; longer input is cut, with a message.", at_least=1)
    concurrency: int = option(32, "Requests taken from the queue at once; the texts of those in flight together are "
                                   "scored in one batch.", at_least=1)
    max_batch: int = option(32, "Most texts scored in one batch.", at_least=1)
    backend: str = option("auto", "auto (the bundle's int8 ONNX graph when it has one, else its fp32 one, else "
                                  "torch), torch, onnx, "
                                  "onnx-int8 or onnx-fp32.", choices=BACKENDS)
    threads: int | None = option(None, "CPU threads for scoring (default: the cores this process may use).", at_least=1)
    queue_size: int = option(256, "Requests that may wait.", at_least=1)
    max_batch_rows: int = option(MAX_BATCH_ROWS, "Rows labelled per uploaded file.", at_least=1)
    feedback: str | None = option(None, "Where visitors' corrections are appended (a .jsonl file in mlc's data "
                                        "format, a labels.txt beside it; default: a folder per bundle under the "
                                        "cache, feedback/BUNDLE/feedback.jsonl).", env="MLC_FEEDBACK")

    def validate(self) -> AppArgs:
        check_ranges(self)
        return self
