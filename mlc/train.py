"""`python -m mlc.train`: fine-tune an encoder on labelled text and write a bundle."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from .cli import add_dataclass_arguments, build_args, run_cli
from .data.args import DataArgs
from .training_args import TrainArgs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mlc.train",
        description="Fine-tune a Hugging Face encoder (default: the embedded multilingual-e5-small) for multi-label "
                    "classification, per language first and then jointly, and write a bundle folder (model, "
                    "tokenizer, labels, thresholds, metrics, model card). Exit code 2 on bad input.",
    )
    parser.add_argument("--config", help="YAML or JSON file of the options below; flags override it.")
    add_dataclass_arguments(parser, DataArgs, "data")
    training = argparse.ArgumentParser(add_help=False)
    add_dataclass_arguments(training, TrainArgs, None)
    group = parser.add_argument_group("training")
    data_flags = {a.dest for a in parser._actions}
    for action in training._actions:
        if action.dest not in data_flags and action.dest != "help":
            group._add_action(action)
    namespace = parser.parse_args(argv)
    args = build_args(TrainArgs, namespace, namespace.__dict__.pop("config", None))
    from .trainer import train

    result = train(args)
    summary = {"output": args.output, "steps": result.steps, "seconds": round(result.seconds, 1),
               "samples_per_second": round(result.samples_per_second, 2),
               "validation": result.stage_metrics.get(list(result.stage_metrics)[-1], {}) if result.stage_metrics
               else {}}
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
