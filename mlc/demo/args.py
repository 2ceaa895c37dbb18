"""Options of the demo (`python app.py`), on the one options mechanism: flags, a config file, or environment
variables (a Hugging Face Space sets GRADIO_SERVER_NAME and GRADIO_SERVER_PORT; MLC_MODEL picks a bundle)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from mlc.core.errors import ConfigError
from mlc.core.options import Options, option
from mlc.inference.args import BACKENDS

MAX_BATCH_ROWS = 5000


@dataclass
class AppArgs(Options):
    OPTIONS_TITLE: ClassVar[str] = "demo"

    model: str | None = option(None, "A bundle folder written by python -m mlc.train (default: the demo bundle, "
                                     "built from the embedded model on first start and cached).", env="MLC_MODEL")
    cache_dir: str | None = option(None, "Cache of the default model and the demo bundle (default $MLC_CACHE_DIR or "
                                         "~/.cache/mlc).")
    demo_recipe: str = option("head-only", "Without --model, how the demo bundle is built on first start: head-only "
                                           "(the encoder frozen, heads fitted in seconds) or fine-tune (a few "
                                           "minutes on 2 CPU cores).", choices=("head-only", "fine-tune"))
    host: str = option("127.0.0.1", "Address to listen on; 0.0.0.0 for every interface.", env="GRADIO_SERVER_NAME")
    port: int = option(7860, "Port.", env="GRADIO_SERVER_PORT")
    share: bool = option(False, "Also create a public gradio.live link (needs internet).")
    max_chars: int = option(2000, "Longest text classified; longer input is cut, with a message.")
    concurrency: int = option(32, "Requests taken from the queue at once; the texts of those in flight together are "
                                   "scored in one batch.")
    max_batch: int = option(32, "Most texts scored in one batch.")
    backend: str = option("auto", "auto (the bundle's int8 ONNX graph when it has one, else torch), torch, onnx, "
                                  "onnx-int8 or onnx-fp32.", choices=BACKENDS)
    threads: int | None = option(None, "CPU threads for scoring (default: the cores this process may use).")
    queue_size: int = option(256, "Requests that may wait.")
    max_batch_rows: int = option(MAX_BATCH_ROWS, "Rows labelled per uploaded file.")

    def validate(self) -> AppArgs:
        for name in ("max_chars", "concurrency", "queue_size", "max_batch_rows", "max_batch"):
            if getattr(self, name) < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        if not 0 < self.port < 65536:
            raise ConfigError(f"--port must be in 1..65535, got {self.port}")
        return self
