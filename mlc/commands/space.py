"""`python -m mlc.space`: write a Hugging Face Space folder that serves a bundle (see mlc.exporters.space)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from mlc.core.atomic import check_output_path
from mlc.core.errors import ConfigError
from mlc.core.options import Options, option

GRAPHS = ("auto", "int8", "fp32")


@dataclass
class SpaceArgs(Options):
    OPTIONS_TITLE: ClassVar[str] = "space"

    model: str | None = option(None, "The bundle folder to serve (with an ONNX graph: python -m mlc.export).")
    output: str | None = option(None, "The Space folder to write (atomically; an existing one needs --overwrite).")
    overwrite: bool = option(False, "Replace an existing --output folder.")
    title: str | None = option(None, "The Space's title (default: the bundle folder's name).")
    graph: str = option("auto", "The ONNX graph to ship: auto (int8 where the export kept it, else fp32), int8 or "
                                "fp32.", choices=GRAPHS)
    weights: bool = option(False, "Also ship the PyTorch weights (for --backend torch; the folder grows by their "
                                  "size).")
    license: str = option("apache-2.0", "The licence in the Space's front matter.")


def main(argv: Sequence[str] | None = None) -> int:
    args = SpaceArgs.from_cli(
        "python -m mlc.space", "Write a Hugging Face Space folder that serves a bundle: README.md (front matter and "
        "model card), app.py (the demo and POST /api/classify), requirements.txt (serving only, pinned), the mlc "
        "code that serves, and the bundle's ONNX graph, tokenizer, n-grams, thresholds and report. Then `cd "
        "OUTPUT && git init && git remote add space https://huggingface.co/spaces/ORG/NAME && git push`, or "
        "`huggingface-cli upload ORG/NAME OUTPUT . --repo-type space`. Exit code 2 on bad input.", argv)
    if not args.model or not args.output:
        raise ConfigError("give the bundle and the folder to write (hint: --model BUNDLE --output my-space/)")
    check_output_path(args.output, inputs=[args.model], overwrite=args.overwrite, folder=True)
    from mlc.exporters.space import write_space

    written = write_space(args.model, args.output, args.title, args.graph, args.weights, args.license)
    print(f"mlc: wrote the Space folder {args.output} ({written['bytes'] / 1e6:.1f} MB, {written['graph']})",
          file=sys.stderr)
    print(json.dumps(written, indent=2))
    return 0
