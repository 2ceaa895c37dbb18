"""The training options: the single source of truth for `python -m mlc.train`, config files and `mlc.fit()`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import ClassVar

from mlc.core.atomic import check_output_path
from mlc.core.errors import ConfigError
from mlc.core.options import check_ranges, option
from mlc.data.args import DataArgs
from mlc.metrics.thresholds import THRESHOLD_OBJECTIVES
from mlc.model.dtypes import PRECISIONS

SCHEDULES = ("per-language-then-joint", "joint", "per-language")
POOLINGS = ("mean", "cls", "cls-last4")
PROBLEMS = ("multi_label", "single_label")
POS_WEIGHTS = ("none", "auto", "sqrt")
LOSSES = ("bce", "focal")
# After training, thresholds are tuned on validation rows by one of these (precision/recall targets are
# python -m mlc.evaluate --tune-thresholds business), or left at 0.5 (none).
TRAINING_OBJECTIVES = (*(o for o in THRESHOLD_OBJECTIVES if o not in ("precision", "recall")), "none")


@dataclass
class TrainArgs(DataArgs):
    OPTIONS_TITLE: ClassVar[str] = "training"

    model: str = option("default", "Encoder: 'default' (embedded multilingual-e5-small), a local folder, or a "
                                 "Hugging Face hub id.")
    mode: str = option("fine-tune", "fine-tune (the encoder and the head, through the schedule's stages), or "
                                    "head-only (the encoder frozen: its sentence vectors computed once and cached, "
                                    "a logistic regression per label fitted on them in seconds; the same bundle).",
                       choices=("fine-tune", "head-only"))
    output: str | None = option(None, "Folder the trained bundle is written to (atomically; never one that holds "
                                    "or lies inside the data or the base model).")
    overwrite: bool = option(False, "Replace an existing OUTPUT (without it an existing OUTPUT is refused, unless "
                                  "--resume continues into it).")
    cache_dir: str | None = option(None, "Where the default model is built (default $MLC_CACHE_DIR or ~/.cache/mlc).")
    problem: str = option("multi_label", "multi_label (sigmoid + BCE) or single_label (softmax + cross-entropy).",
                        choices=PROBLEMS)
    pooling: str = option("mean", "Sentence vector: mean (masked mean of the last layer), cls (first token), or "
                                "cls-last4 (first token of the last four layers, concatenated).", choices=POOLINGS)
    dropout: float = option(0.1, "Dropout before the classification head.", at_least=0, below=1)
    max_length: int = option(128, "Maximum tokens per text; longer texts are truncated (and counted).", at_least=4)
    schedule: str = option("per-language-then-joint", "per-language-then-joint (one model: each language in turn, "
                                                     "then all mixed), joint (all mixed), or per-language (one "
                                                     "model per language, in OUTPUT/<language>/).",
                         choices=SCHEDULES)
    language_order: list[str] | None = option(None, "Order of the per-language stage (default: largest first).")
    language_epochs: float = option(1.0, "Epochs of each language's stage (per-language phase, or per-language "
                                       "models).", at_least=0)
    epochs: float = option(3.0, "Epochs of the joint stage (the only stage of the joint schedule).", above=0)
    language_temperature: float = option(1.0, "Language-balanced sampling in the joint stage: probability of a "
                                            "language ~ rows^(1/T); 1 keeps the natural mix, larger flattens it.", above=0)
    batch_size: int = option(16, "Examples per optimiser step before accumulation.", at_least=1)
    gradient_accumulation: int = option(1, "Batches accumulated per optimiser step.", at_least=1)
    learning_rate: float = option(5e-5, "Peak learning rate of the encoder's top layer.", above=0)
    head_lr: float | None = option(None, "Learning rate of the head (default: 10x learning_rate).", above=0)
    layer_lr_decay: float = option(1.0, "Layer-wise learning-rate decay: layer l from the top gets lr * decay^l.", above=0, at_most=1)
    weight_decay: float = option(0.01, "AdamW weight decay (not applied to biases and LayerNorm).", at_least=0)
    warmup_ratio: float = option(0.1, "Fraction of each stage's steps spent warming the learning rate up.", at_least=0, below=1)
    max_grad_norm: float = option(1.0, "Gradient clipping norm (0 turns it off).", at_least=0)
    ema_decay: float = option(0.0, "Weight averaging: keep an exponential moving average of the trainable weights, "
                                   "moved towards them by 1 - decay after every optimiser step, and end each stage "
                                   "with the average instead of the last weights (0.999: about the last 1,000 "
                                   "steps); 0 (default) keeps the last weights.", at_least=0, below=1)
    freeze_embeddings: bool = option(True, "Freeze the word-embedding table (most of a multilingual model's "
                                         "parameters; much faster on CPU).")
    freeze_layers: int = option(0, "Freeze the lowest N encoder layers.", at_least=0)
    loss: str = option("bce", "bce, or focal (down-weights easy examples).", choices=LOSSES)
    focal_gamma: float = option(2.0, "Focal loss gamma.", at_least=0)
    pos_weight: str = option("none", "Positive-class weight per label: none, auto (negatives/positives), or sqrt.",
                           choices=POS_WEIGHTS)
    pos_weight_max: float = option(10.0, "Clip positive weights to this value.", above=0)
    oversample_rare: float = option(0.0, "Rare-label oversampling strength: an example's sampling weight is "
                                       "multiplied by (max label count / its rarest label's count)^strength.", at_least=0)
    threshold_objective: str = option("per-language-f1", "How the bundle's thresholds are tuned on validation (and the "
                                                       "--threshold-holdout rows): per-language-f1 (a threshold per "
                                                       "language and label: the label's F1 maximum within the "
                                                       "language, pulled towards its language-macro-f1 threshold the "
                                                       "fewer positives it has there; the best rule on BRIGHTER, and "
                                                       "the same as f1 for one language), language-macro-f1 (per "
                                                       "label, maximising the mean over languages of that label's "
                                                       "F1), f1 (each label's pooled F1 maximum), shrunk-f1 (pulled "
                                                       "towards one global threshold, the more the rarer the label), "
                                                       "global-f1 (one threshold for all labels), or none (0.5).",
                                    choices=TRAINING_OBJECTIVES)
    ngram_weight: float | None = option(None, "Blend a per-language TF-IDF n-gram model (word 1-2-grams, character "
                                            "2-5-grams, logistic regression per label) into every score: "
                                            "(1 - w) * encoder + w * n-grams. Default 0.5 for multi_label (on "
                                            "BRIGHTER dev it raised the mean macro-F1 over 28 languages from 49.1 "
                                            "to 54.4), 0 (off) for single_label; 0 turns it off.", at_least=0, at_most=1)
    blend: str = option("auto", "How the n-gram model's weight is set: per-language (each language's weight chosen "
                                "on the validation rows, by macro average precision on a 0-1 grid, pulled towards "
                                "the pooled best by rows / (rows + --blend-shrinkage); recorded in the bundle; "
                                "ahead of one weight in every data set measured: BRIGHTER, XED, GoEmotions), global "
                                "(--ngram-weight for every language), or auto (default: per-language when the run "
                                "has validation rows, else global, which the run then says).",
                         choices=("auto", "per-language", "global"))
    blend_shrinkage: float = option(100.0, "With --blend per-language: how many validation rows a language needs "
                                           "for its own weight to count as much as the pooled one.", above=0)
    refit: str = option("none", "Once the thresholds (and --blend per-language weights) are chosen on the "
                                "validation rows, train again on training + validation rows and ship that, with the "
                                "same thresholds and weights: ngrams (the n-gram model alone; seconds to minutes) or "
                                "all (also the encoder, from the base model, with the options and the epochs the "
                                "first run trained: each stage's best evaluation with early stopping; training takes "
                                "about twice as long; the validation report stays the first model's); none (default) "
                                "keeps the validation rows out of training.", choices=("none", "ngrams", "all"))
    eval_batch_size: int = option(64, "Batch size for validation.", at_least=1)
    logging_steps: int = option(10, "Log the loss every N optimiser steps.", at_least=1)
    max_steps: int = option(0, "Stop after this many optimiser steps in total (0: no limit; for smoke tests).", at_least=0)
    eval_steps: int = option(0, "Also evaluate on validation every N optimiser steps (0: only at the end of each "
                              "stage).", at_least=0)
    early_stopping_patience: int = option(0, "Stop a stage after N evaluations without a better validation "
                                           "macro-F1 (equal F1s ranked by average precision), and keep the "
                                           "stage's best weights (0: off; needs eval_steps).", at_least=0)
    checkpoint_steps: int = option(0, "Save a checkpoint (model, optimiser, scheduler, position) every N optimiser "
                                    "steps into OUTPUT.checkpoint, atomically; 0 for none.", at_least=0)
    resume: bool = option(False, "Continue an interrupted run from OUTPUT.checkpoint. The data files and every "
                                 "option must be the checkpoint's, except logging_steps, checkpoint_steps, threads, "
                                 "cache_dir, export, eval_batch_size, ddp_backend and max_steps (where to stop), "
                                 "which cannot change the model's trajectory.")
    device: str = option("auto", "auto, cpu, cuda, or cuda:N.")
    precision: str = option("auto", "auto (bf16 on GPUs that support it, else fp16 on GPU; on CPU bf16 where it has "
                                  "bf16 instructions (AVX512-BF16, AMX), else fp32), fp32, bf16 or fp16 (autocast; the "
                                  "loss stays fp32).", choices=PRECISIONS)
    ddp_backend: str = option("auto", "Process-group backend under torchrun/accelerate: auto (nccl on GPUs, gloo on "
                                    "CPU), nccl, or gloo (e.g. several processes sharing one GPU).",
                            choices=("auto", "nccl", "gloo"))
    threads: int = option(0, "CPU threads for torch (0: torch's default).", at_least=0)
    export: str = option("none", "After training, also write the model for ONNX Runtime into the bundle: onnx "
                                 "(fp32), onnx-int8 (fp32 and int8; what mlc.predict, mlc.evaluate and the demo "
                                 "then use on CPUs), or none (python -m mlc.export does it later).",
                         choices=("none", "onnx", "onnx-int8"))

    def validate(self) -> TrainArgs:
        if not self.data:
            raise ConfigError("no training data (hint: --data PATH)")
        if not self.output:
            raise ConfigError("no output folder (hint: --output DIR)")
        check_ranges(self)
        if self.language_epochs <= 0 and self.schedule != "joint":
            raise ConfigError(f"--language-epochs must be more than 0 with --schedule {self.schedule}, got "
                              f"{self.language_epochs}")
        if self.early_stopping_patience and not self.eval_steps:
            raise ConfigError("--early-stopping-patience needs --eval-steps N (evaluations to compare)")
        if self.problem == "single_label" and (self.loss != "bce" or self.pos_weight != "none"):
            raise ConfigError("single_label uses cross-entropy: --loss and --pos-weight apply to multi_label only")
        if self.mode == "head-only" and (self.problem != "multi_label" or self.schedule == "per-language"):
            raise ConfigError("--mode head-only fits per-label heads for multi_label problems, in one model (hint: "
                              "--schedule joint)")
        if self.mode == "head-only" and int(os.environ.get("WORLD_SIZE", 1)) > 1:
            raise ConfigError("--mode head-only runs in one process (its heads fit in seconds); launch it without "
                              "torchrun or accelerate")
        if self.mode == "head-only" and self.ema_decay:
            raise ConfigError("--ema-decay averages fine-tuned weights; --mode head-only fits its heads in closed form "
                              "(hint: drop --ema-decay, or --mode fine-tune)")
        if self.problem == "single_label" and self.ngram_weight:
            raise ConfigError("the n-gram blend is for multi_label (hint: --ngram-weight 0, or leave it unset)")
        if self.blend == "per-language" and not self.ngram_share:
            raise ConfigError("--blend per-language sets the n-gram model's weight per language, but the blend is off "
                              "(hint: leave --ngram-weight unset or above 0, or drop --blend)")
        if self.refit == "all" and int(os.environ.get("WORLD_SIZE", 1)) > 1:
            raise ConfigError("--refit all trains twice in one process; launch it without torchrun or accelerate "
                              "(hint: run it as one process, on one GPU or the CPU, or --refit ngrams)")
        if self.refit == "ngrams" and not self.ngram_share:
            raise ConfigError("--refit ngrams refits the n-gram model, but the blend is off (hint: leave "
                              "--ngram-weight unset or above 0, or --refit all)")
        return self

    def check_output(self) -> None:
        """Refuse, before any work, an OUTPUT that would replace the data, the base model or an existing folder
        (unless --overwrite, or --resume continuing into it)."""
        inputs = [self.data, self.validation, self.test, self.extra_data, self.model, self.label_names]
        check_output_path(self.output, inputs=inputs, overwrite=self.overwrite or self.resume, folder=True)
        if self.refit == "all":  # the first run is written beside OUTPUT, under the same rules
            check_output_path(self.first_run_output, inputs=inputs, overwrite=self.overwrite or self.resume,
                              folder=True, option="--refit all's first run")

    @property
    def first_run_output(self) -> str:
        """Where --refit all writes its first run (removed once the refit is written)."""
        return f"{self.output}.before-refit"

    @property
    def ngram_share(self) -> float:
        """The n-gram model's weight in the blend: ngram_weight, or its default for the problem type."""
        if self.ngram_weight is not None:
            return self.ngram_weight
        return 0.5 if self.problem == "multi_label" else 0.0
