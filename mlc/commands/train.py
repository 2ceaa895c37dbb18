"""`python -m mlc.train` and `mlc.fit()`: fine-tune an encoder, write the bundle, tune its thresholds.

A run is three steps, each in its own layer: training (mlc.training: the stages, the loop, the n-gram model),
writing the bundle's files (mlc.training.save, through mlc.bundle), and calibration (mlc.evaluation.calibration:
thresholds and the validation report, from the scores the bundle itself gives), and with --export a fourth
(mlc.exporters.onnx). All fill one temporary folder, renamed into place at the end, so a bundle is never seen
half-made.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from mlc.core.atomic import output_lock
from mlc.core.errors import ConfigError
from mlc.training.args import TrainArgs

DESCRIPTION = ("Fine-tune a Hugging Face encoder (default: the embedded multilingual-e5-small) for multi-label "
               "classification, per language first and then jointly, and write a bundle folder (model, tokenizer, "
               "labels, thresholds, metrics, model card). Exit code 2 on bad input.")


def fit(args: TrainArgs | None = None, **options: Any):
    """Python API: `mlc.fit(data="examples/support_tickets.csv", output="bundle")` returns the TrainResult. With
    `schedule="per-language"`, one bundle per language in `output/<language>/` (see `fit_per_language`)."""
    args = replace(args, **options) if args is not None else TrainArgs(**options)
    args.validate().check_output()
    main_process = not int(os.environ.get("RANK", 0))
    with output_lock(args.output) if main_process else contextlib.nullcontext():  # one run per output
        if args.schedule == "per-language":
            return fit_per_language(args)
        return fit_bundle(args)


def fit_bundle(args: TrainArgs, data=None):
    """Train one model and write it to args.output as a calibrated bundle (rank 0 alone writes under torchrun)."""
    from mlc.model import distributed
    from mlc.training.checkpoint import checkpoint_dir

    output = Path(args.output)
    log_path = output.with_name(output.name + ".train-log.jsonl")
    if args.mode == "head-only":
        from mlc.data import load_data
        from mlc.training.head_only import fit_head_only

        output.parent.mkdir(parents=True, exist_ok=True)
        data = data if data is not None else load_data(args)
        check_blend(args, data)
        result = fit_head_only(args, data)
        _write(args, result, output, None, args.device)
        return result
    from mlc.training.trainer import Trainer

    trainer = Trainer(args, data)
    check_blend(args, trainer.data)
    if not trainer.world.main:
        result = trainer.train()
        distributed.barrier()
        distributed.cleanup()
        return result
    output.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("a" if args.resume else "w", encoding="utf-8") as log:
        trainer.log_file = log
        result = trainer.train()
    _write(args, result, output, log_path, str(trainer.device))
    shutil.rmtree(checkpoint_dir(output), ignore_errors=True)
    log_path.unlink(missing_ok=True)
    distributed.barrier()
    distributed.cleanup()
    return result


def check_blend(args: TrainArgs, data) -> None:
    """--blend per-language chooses its weights on the validation rows: refused before training when there are
    none, rather than ignored after it."""
    if args.blend == "per-language" and "validation" not in data.splits:
        raise ConfigError("--blend per-language chooses each language's n-gram weight on validation rows, and this "
                          "data has none (hint: --validation-size 0.1, or --validation FILE)")


def _write(args: TrainArgs, result, output: Path, log_path: Path | None, device: str) -> None:
    """The n-gram model, then the bundle's files, thresholds and report (and graphs with --export), in one temporary
    folder renamed into place."""
    from mlc.core.atomic import atomic_folder
    from mlc.evaluation.calibration import calibrate_bundle
    from mlc.training.ngrams import fit_ngrams
    from mlc.training.save import save_trained

    if args.ngram_share > 0:
        result.ngrams = fit_ngrams(result.data, args.ngram_share)
    with atomic_folder(output) as folder:
        save_trained(result, args, folder, log_path)
        calibrate_bundle(folder, result.data, args.threshold_objective, device, args.blend, args.blend_shrinkage)
        if args.export != "none":
            export_bundle(folder, result.data, args.export == "onnx-int8")


def export_bundle(folder, data, quantize: bool) -> None:
    """The ONNX graphs, checked on the training data's own texts: validation first, then training rows. Too few
    texts to judge an int8 graph: the fp32 graph alone, said so."""
    from mlc.data.loader import column_values
    from mlc.exporters.onnx import MAX_CHECK_TEXTS, MIN_CHECK_TEXTS, export_onnx

    texts = [t for split in ("validation", "train") if split in data.splits
             for t in column_values(data[split], "text")][:MAX_CHECK_TEXTS]
    if quantize and len(texts) < MIN_CHECK_TEXTS:
        print(f"mlc: warning: {len(texts)} texts are too few to judge an int8 graph on (at least {MIN_CHECK_TEXTS}); "
              "only the fp32 graph is exported", file=sys.stderr)
        quantize = False
    export_onnx(folder, quantize=quantize, texts=texts, source="validation and training texts")


def fit_per_language(args: TrainArgs):
    """One model per language, each fine-tuned from the base encoder on that language's rows and labels only
    (`language_epochs` epochs) and written atomically to OUTPUT/<language>/ as it finishes; OUTPUT/languages.json
    indexes them. `--resume` skips finished languages and continues the interrupted one from its checkpoint. The
    result is the last language's, with every language's validation metrics and all bundles."""
    from mlc.bundle.folder import BUNDLE_FILE, LANGUAGES_FILE
    from mlc.core.atomic import atomic_file
    from mlc.data import load_data
    from mlc.model import distributed
    from mlc.training.checkpoint import checkpoint_dir
    from mlc.training.schedule import stages_for

    data = load_data(args)
    output = Path(args.output)
    order = [stage.languages[0] for stage in stages_for(args, data)]
    bundles, metrics, last, steps, seconds, samples = {}, {}, None, 0, 0.0, 0.0
    for number, language in enumerate(order, 1):
        target = output / language
        bundles[language] = language
        interrupted = checkpoint_dir(target).exists()
        if args.resume and (target / BUNDLE_FILE).is_file() and not interrupted:
            print(f"mlc: {language}: already trained in {target}, skipped", file=sys.stderr)
            continue
        print(f"mlc: per-language {number}/{len(order)}: {language} into {target}", file=sys.stderr)
        last = fit_bundle(replace(args, schedule="joint", epochs=args.language_epochs, language_temperature=1.0,
                                  output=str(target), resume=args.resume and interrupted),
                          data.for_language(language))
        metrics[f"language:{language}"] = last.stage_metrics.get("joint", {})
        steps, seconds, samples = steps + last.steps, seconds + last.seconds, \
            samples + last.samples_per_second * last.seconds
    if last is None:
        raise ConfigError(f"{output}: every language is trained already; nothing to resume")
    if distributed.current().main:
        with atomic_file(output / LANGUAGES_FILE, encoding="utf-8") as handle:
            json.dump({"schedule": "per-language", "bundles": bundles}, handle, indent=2)
    last.stage_metrics, last.bundles = metrics, bundles
    last.steps, last.seconds = steps, seconds
    last.samples_per_second = samples / seconds if seconds else 0.0
    return last


def main(argv: Sequence[str] | None = None) -> int:
    args = TrainArgs.from_cli("python -m mlc.train", DESCRIPTION, argv)
    result = fit(args)
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
