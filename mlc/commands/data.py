"""`python -m mlc.data --data PATH`: load a data set as training would, and print its summary."""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from mlc.core.options import option
from mlc.data.args import DataArgs
from mlc.data.loader import DataWarning, load_data


@dataclass
class SummaryArgs(DataArgs):
    OPTIONS_TITLE: ClassVar[str] = "summary"

    json: bool = option(False, "Print the summary as JSON instead of a table.")


def main(argv: Sequence[str] | None = None) -> int:
    args = SummaryArgs.from_cli(
        "python -m mlc.data", "Load labelled text (any supported format and label layout) and print a summary: rows "
        "per language and split, labels per language, label frequencies. Exit code 2 on bad input.", argv)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # they are in the summary
        data = load_data(args)
    if args.json:
        json.dump(data.summary(), sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        print(data.summary_table())
    return 0
