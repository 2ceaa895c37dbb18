"""`python -m mlc.demo`: build the demo bundle if it is not cached yet, and print its folder, e.g.
`python -m mlc.predict --model "$(python -m mlc.demo)" --input texts.txt --output -`."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from mlc.core.options import Options, option
from mlc.core.runner import run_cli

DEMO_RECIPE_NAMES = ("head-only", "fine-tune")


@dataclass
class DemoBundleArgs(Options):
    OPTIONS_TITLE: ClassVar[str] = "demo bundle"

    cache_dir: str | None = option(None, "Cache of the default model and the demo bundle (default $MLC_CACHE_DIR "
                                         "or ~/.cache/mlc).")
    recipe: str = option("head-only", "head-only (the encoder frozen, heads fitted in seconds) or fine-tune (a few "
                                      "minutes on 2 CPU cores; exported to int8 ONNX).", choices=DEMO_RECIPE_NAMES)


def main(argv: Sequence[str] | None = None) -> int:
    args = DemoBundleArgs.from_cli(
        "python -m mlc.demo", "Build the demo bundle (the embedded model trained on examples/support_tickets.csv, "
        "once) unless it is cached, and print its folder.", argv)
    from mlc.demo.bundle import ensure_demo_bundle

    print(ensure_demo_bundle(args.cache_dir, args.recipe))
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
