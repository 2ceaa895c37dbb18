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
from dataclasses import dataclass, replace
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
    """Train one model and write it to args.output as a calibrated bundle (rank 0 alone writes under torchrun);
    with --refit all, train it twice (see `fit_and_refit`)."""
    if args.refit == "all":
        return fit_and_refit(args, data)
    return _train_and_write(args, data)


@dataclass
class FirstRun:
    """A refit's first run: its calibrated bundle (thresholds, n-gram weights, validation report) and its result
    (what it chose: epochs per stage, or the heads' C)."""

    folder: Path
    result: Any


def fit_and_refit(args: TrainArgs, data=None, keep_first: bool = False):
    """--refit all: train and calibrate on the held-out split as usual, into OUTPUT.before-refit; then train again from
    the base model on train + validation (+ holdout) rows with the first run's choices, and write OUTPUT with the
    first run's thresholds, n-gram weights and validation report. OUTPUT.before-refit is removed at the end (kept
    after a failure only with --checkpoint-steps, for --resume, which then skips the first run; `keep_first` keeps
    it, to compare the two on other data)."""
    from mlc.bundle.folder import BUNDLE_FILE
    from mlc.data import load_data
    from mlc.training.checkpoint import checkpoint_dir

    data = data if data is not None else load_data(args)
    check_held_out(args, data)
    held_out = Path(args.first_run_output)
    finished = (held_out / BUNDLE_FILE).is_file() and not checkpoint_dir(held_out).exists()
    first_args = replace(args, refit="none", output=str(held_out), export="none", overwrite=True,
                         resume=args.resume and checkpoint_dir(held_out).exists())
    if args.resume and finished:
        _check_same_options(held_out, first_args, data)
        print(f"mlc: the first run is in {held_out} already; refitting", file=sys.stderr)
        first = FirstRun(held_out, _result_of(held_out))
    else:
        first = FirstRun(held_out, _train_and_write(first_args, data))
    try:
        merged = data.with_held_out_in_train()
        print(f"mlc: refit on {len(merged['train'])} rows (train + held-out) with the first run's "
              f"{_choices_text(first.result.choices)}", file=sys.stderr)
        resume = args.resume and checkpoint_dir(Path(args.output)).exists()  # the refit itself was interrupted
        return _train_and_write(replace(args, resume=resume), merged, first)
    finally:
        done = (Path(args.output) / BUNDLE_FILE).is_file()
        if not (keep_first and done) and (not args.checkpoint_steps or done):
            shutil.rmtree(held_out, ignore_errors=True)


def _check_same_options(folder: Path, args: TrainArgs, data) -> None:
    """A resumed refit reuses a finished first run only if it was trained with these options (those a resume may
    change aside) on these data files: otherwise the bundle would mix two recipes or two data sets, silently."""
    from mlc.training.checkpoint import changed_options

    changed = changed_options(json.loads((folder / "training_args.json").read_text("utf-8")), args)
    if changed:
        raise ConfigError(f"{folder}: its first run was trained with other {', '.join(changed)} (hint: --resume with "
                          "its options, or remove it to train the first run again)")
    if json.loads((folder / "data_summary.json").read_text("utf-8")).get("files") != data.info.get("files"):
        raise ConfigError(f"{folder}: its first run was trained on other data files, or they changed since (hint: "
                          "--resume with the same files, or remove it to train the first run again)")


def _result_of(folder: Path):
    """The record of a finished first run, read back from its bundle (a resumed refit)."""
    from mlc.training.result import TrainResult

    metrics = json.loads((folder / "metrics.json").read_text("utf-8"))
    return TrainResult(None, None, None, stage_metrics=metrics["validation_by_stage"], steps=metrics["steps"],
                       choices=metrics["choices"], seconds=metrics.get("seconds", 0.0))


def _choices_text(choices: dict[str, float]) -> str:
    return ", ".join(f"{name} {value:g}" if name == "C" else f"{name} {value:.2f} epochs"
                     for name, value in choices.items())


def _train_and_write(args: TrainArgs, data=None, first: FirstRun | None = None):
    """Train (repeating `first`'s choices on `data`, in a refit) and write the bundle."""
    from mlc.model import distributed
    from mlc.training.checkpoint import checkpoint_dir

    output = Path(args.output)
    log_path = output.with_name(output.name + ".train-log.jsonl")
    choices = first.result.choices if first else {}
    if args.mode == "head-only":
        from mlc.data import load_data
        from mlc.training.head_only import fit_head_only

        output.parent.mkdir(parents=True, exist_ok=True)
        data = data if data is not None else load_data(args)
        if first is None:
            check_held_out(args, data)
        result = fit_head_only(args, data, choices.get("C"))
        _write(args, result, output, None, args.device, first)
        return result
    from mlc.training.trainer import Trainer

    trainer = Trainer(args, data, stage_epochs=choices)
    if first is None:
        check_held_out(args, trainer.data)
    if not trainer.world.main:
        result = trainer.train()
        distributed.barrier()
        distributed.cleanup()
        return result
    output.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("a" if args.resume else "w", encoding="utf-8") as log:
        trainer.log_file = log
        result = trainer.train()
    _write(args, result, output, log_path, str(trainer.device), first)
    shutil.rmtree(checkpoint_dir(output), ignore_errors=True)
    log_path.unlink(missing_ok=True)
    distributed.barrier()
    distributed.cleanup()
    return result


def check_held_out(args: TrainArgs, data) -> None:
    """--blend per-language and --refit need validation rows (to choose weights, thresholds and epochs on):
    refused before training when there are none, rather than ignored after it; --blend auto says that it falls back
    to one weight."""
    if "validation" in data.splits:
        return
    hint = "(hint: --validation-size 0.1, or --validation FILE)"
    if args.blend == "per-language":
        raise ConfigError(f"--blend per-language chooses each language's n-gram weight on validation rows, and this "
                          f"data has none {hint}")
    if args.refit != "none":
        raise ConfigError(f"--refit {args.refit} trains again on train + validation once the thresholds are chosen on the "
                          f"validation rows, and this data has none {hint}")
    if args.blend == "auto" and args.ngram_share:
        print(f"mlc: no validation rows, so the n-gram model's weight is --ngram-weight {args.ngram_share:g} in every "
              f"language (--blend auto chooses it per language when there are some {hint})", file=sys.stderr)


def _write(args: TrainArgs, result, output: Path, log_path: Path | None, device: str,
           first: FirstRun | None = None) -> None:
    """The n-gram model, then the bundle's files, thresholds and report (and graphs with --export), in one temporary
    folder renamed into place. A refit (`first`) takes the first run's thresholds, weights and report instead of
    tuning on rows it has now trained on."""
    from mlc.core.atomic import atomic_folder
    from mlc.evaluation.calibration import calibrate_bundle, carry_calibration
    from mlc.training.ngrams import fit_ngrams, refit_ngrams
    from mlc.training.save import save_trained

    if args.ngram_share > 0:
        result.ngrams = fit_ngrams(result.data, args.ngram_share)
    if first is not None:
        # The validation scores are the first run's (the refit has no held-out rows left to score).
        result.refit = {"what": "all", "first_run": {"steps": first.result.steps,
                                                     "seconds": round(first.result.seconds, 1)},
                        "trained_on": result.data.info.get("trained_on"), "rows": len(result.data["train"])}
        result.choices, result.stage_metrics = first.result.choices, first.result.stage_metrics
    refit_ngrams_here = args.refit == "ngrams" and result.ngrams is not None
    if refit_ngrams_here:
        merged = result.data.with_held_out_in_train()
        result.refit = {"what": "ngrams", "trained_on": merged.info["trained_on"], "rows": len(merged["train"])}
    with atomic_folder(output) as folder:
        save_trained(result, args, folder, log_path)
        if first is None:
            calibrate_bundle(folder, result.data, args.threshold_objective, device, args.blend, args.blend_shrinkage)
        else:
            carry_calibration(first.folder, folder, result.ngrams)
        if refit_ngrams_here:
            refit_ngrams(folder, result.data, args.ngram_share)
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
