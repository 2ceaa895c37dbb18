"""`python -m mlc.train`: fine-tune an encoder on labelled text and write a bundle."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence

from .cli import parse_dataclass_cli, run_cli
from .data.args import DataArgs
from .training_args import TrainArgs


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_dataclass_cli(
        TrainArgs, "python -m mlc.train",
        "Fine-tune a Hugging Face encoder (default: the embedded multilingual-e5-small) for multi-label "
        "classification, per language first and then jointly, and write a bundle folder (model, tokenizer, labels, "
        "thresholds, metrics, model card). Exit code 2 on bad input.",
        [(DataArgs, "data"), (TrainArgs, "training")], argv)
    from .trainer import train

    result = train(args)
    if int(os.environ.get("RANK", 0)):  # under torchrun, rank 0 reports
        return 0
    summary = {"output": args.output, "steps": result.steps, "seconds": round(result.seconds, 1),
               "samples_per_second": round(result.samples_per_second, 2), "processes": result.processes,
               "validation": result.stage_metrics.get(list(result.stage_metrics)[-1], {}) if result.stage_metrics
               else {}}
    if result.bundles:  # --schedule per-language: one bundle and one validation result per language
        summary.update(bundles={lang: os.path.join(args.output, sub) for lang, sub in result.bundles.items()},
                       validation=result.stage_metrics)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
