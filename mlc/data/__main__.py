"""`python -m mlc.data --data PATH`: load a data set as training would, and print its summary."""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence

from ..cli import add_dataclass_arguments, build_args, run_cli
from .args import DataArgs
from .loader import DataWarning, load_data


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mlc.data",
        description="Load labelled text (any supported format and label layout) and print a summary: rows per "
                    "language and split, labels per language, label frequencies. Exit code 2 on bad input.",
    )
    parser.add_argument("--config", help="YAML or JSON file of the options below; flags override it.")
    parser.add_argument("--json", action="store_true", help="Print the summary as JSON instead of a table.")
    add_dataclass_arguments(parser, DataArgs, "data options")
    namespace = parser.parse_args(argv)
    as_json = namespace.__dict__.pop("json")
    args = build_args(DataArgs, namespace, namespace.__dict__.pop("config", None))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # they are in the summary
        data = load_data(args)
    if as_json:
        json.dump(data.summary(), sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        print(data.summary_table())
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
