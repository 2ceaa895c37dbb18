"""Fine-tuning: the stage schedule (per language, then joint), optimiser groups, the loop and its safety checks."""

from __future__ import annotations

import contextlib
import json
import math
import random
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mlc.core.cpus import usable_cpus
from mlc.core.errors import ConfigError, MlcError
from mlc.data import MultiLabelData, load_data
from mlc.data.loader import column_values
from mlc.metrics.scores import language_f1
from mlc.model import distributed
from mlc.model.device import pick_device
from mlc.model.dtypes import autocast_dtype, emulation_warning, precision_name
from mlc.model.encoders import check_max_length, load_tokenizer, resolve_model
from mlc.model.modeling import MlcForSequenceClassification
from mlc.model.scoring import score_ids
from mlc.training.args import TrainArgs
from mlc.training.averaging import WeightAverage
from mlc.training.checkpoint import checkpoint_dir, load_checkpoint, save_checkpoint
from mlc.training.early_stopping import BestTracker, rank
from mlc.training.losses import multilabel_loss, positive_weights, single_label_loss
from mlc.training.result import TrainResult
from mlc.training.sampling import epoch_indices, language_weights, length_grouped_batches, rare_label_weights
from mlc.training.schedule import Stage, stages_for


class TrainingDivergedError(MlcError):
    """The loss became NaN or infinite."""


@dataclass
class _Run:
    """What the stages of one training run share."""

    model: MlcForSequenceClassification
    forward: torch.nn.Module  # the model, or its DDP wrapper
    tokenizer: Any
    ids: list[list[int]]
    lengths: np.ndarray
    labels: np.ndarray
    languages: list[str]
    masks: np.ndarray
    pos_weight: torch.Tensor | None
    result: TrainResult
    checkpoints: Path | None
    resume: dict | None
    seen: int = 0
    average: WeightAverage | None = None  # the stage's weight average, with --ema-decay
    started: float = field(default_factory=time.perf_counter)


def _parameter_groups(model: MlcForSequenceClassification, args: TrainArgs) -> list[dict]:
    """AdamW groups: the head at head_lr; encoder layer l (from the top) at lr * decay^l; embeddings lowest."""
    head_lr = args.head_lr or args.learning_rate * 10
    layers = model.encoder_layers()
    depth = {id(p): len(layers) - 1 - i for i, layer in enumerate(layers) for p in layer.parameters()}
    embedding_depth = len(layers)
    groups: dict[tuple[float, bool], list] = {}
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        no_decay = param.ndim < 2 or "LayerNorm" in name or "layer_norm" in name
        if name.startswith("head."):
            lr = head_lr
        else:
            lr = args.learning_rate * args.layer_lr_decay ** depth.get(id(param), embedding_depth)
        groups.setdefault((lr, no_decay), []).append(param)
    return [{"params": ps, "lr": lr, "weight_decay": 0.0 if nd else args.weight_decay}
            for (lr, nd), ps in groups.items()]


def _freeze(model: MlcForSequenceClassification, args: TrainArgs) -> None:
    embeddings = model.embeddings()
    if args.freeze_embeddings and embeddings is not None and hasattr(embeddings, "word_embeddings"):
        embeddings.word_embeddings.weight.requires_grad_(False)
    if args.freeze_layers:
        layers = model.encoder_layers()
        if args.freeze_layers > len(layers):
            raise ConfigError(f"--freeze-layers {args.freeze_layers} but the encoder has {len(layers)} layers")
        for layer in layers[: args.freeze_layers]:
            layer.requires_grad_(False)


class Trainer:
    """`Trainer(args).train()` loads the data (unless given), fine-tunes through the stages, and returns the
    model with its per-stage validation metrics. `mlc.training.save.save_trained` writes the result."""

    def __init__(self, args: TrainArgs, data: MultiLabelData | None = None, log=None,
                 stage_epochs: dict[str, float] | None = None) -> None:
        """`stage_epochs`: epochs per stage name, replacing the options' (a refit repeating a run's choices)."""
        self.args = args.validate()
        self.stage_epochs = stage_epochs or {}
        if args.schedule == "per-language":
            raise ConfigError("--schedule per-language trains one model per language: use mlc.fit() or "
                              "python -m mlc.train, which write one bundle per language")
        self.data = data if data is not None else load_data(args)
        self.device = pick_device(args.device)
        self.world = distributed.setup(self.device, args.ddp_backend)
        self.amp_dtype = autocast_dtype(args.precision, self.device)
        # fp16 needs loss scaling so that small gradients do not underflow; bf16 and fp32 do not.
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.amp_dtype == torch.float16)
        self.log_file = log
        self.global_step = 0
        self._tokenized: dict[str, tuple[list[list[int]], np.ndarray, int]] = {}

    # ---- preparation ------------------------------------------------------------------------------------------

    def _tokenize(self, tokenizer, split: str) -> tuple[list[list[int]], np.ndarray, int]:
        """(token ids, lengths, number of truncated texts) of a split, tokenized once per trainer and cached:
        evaluations during training reuse it."""
        if split not in self._tokenized:
            texts = list(self.data[split]["text"])
            encoded = tokenizer(texts, truncation=True, max_length=self.args.max_length)
            # A text is truncated exactly when the unpadded, truncated encoding is full and some of the text's
            # characters were not covered; the offsets of the last content token tell, without a second pass.
            ids = encoded["input_ids"]
            truncated = 0
            if tokenizer.is_fast:
                for i, row in enumerate(ids):
                    if len(row) == self.args.max_length:
                        ends = [end for _, end in encoded.encodings[i].offsets if end]
                        truncated += bool(ends) and len(texts[i].rstrip()) > max(ends)
            self._tokenized[split] = (ids, np.array([len(x) for x in ids]), truncated)
        return self._tokenized[split]

    def _collate(self, tokenizer, ids: list[list[int]], rows: np.ndarray) -> dict[str, torch.Tensor]:
        # On a GPU, lengths that are multiples of 8 keep tensor-core kernels on their fast paths.
        batch = tokenizer.pad({"input_ids": [ids[i] for i in rows]}, return_tensors="pt",
                              pad_to_multiple_of=8 if self.device.type == "cuda" else None)
        return {k: v.to(self.device) for k, v in batch.items()}

    def _say(self, message: str) -> None:
        if self.world.main:
            print(message, file=sys.stderr)

    def _log(self, record: dict) -> None:
        if self.log_file is not None and self.world.main:
            self.log_file.write(json.dumps(record) + "\n")
            self.log_file.flush()

    # ---- the loop ---------------------------------------------------------------------------------------------

    def train(self) -> TrainResult:
        """Fine-tune through every stage (resuming from the checkpoint with --resume) and return the result."""
        args = self.args
        torch.manual_seed(args.seed)
        random.seed(args.seed)
        torch.set_num_threads(args.threads or usable_cpus())
        run = self._prepare()
        for index, stage in enumerate(stages_for(args, self.data)):
            if run.resume and index < run.resume["stage_index"]:
                continue
            stage = replace(stage, epochs=self.stage_epochs.get(stage.name, stage.epochs))
            self._run_stage(run, index, stage)
            if args.max_steps and self.global_step >= args.max_steps:
                break
        result = run.result
        result.steps = self.global_step
        result.seconds = time.perf_counter() - run.started
        result.samples_per_second = run.seen / result.seconds if result.seconds else 0.0
        return result

    def _build_model(self) -> tuple[MlcForSequenceClassification, torch.nn.Module, Any]:
        """(the model, what the forward pass calls: the model or its DDP wrapper, the tokenizer)."""
        args = self.args
        model_path = resolve_model(args.model, args.cache_dir)
        tokenizer = load_tokenizer(model_path)
        check_max_length(tokenizer, args.max_length)
        problem_type = "multi_label_classification" if args.problem == "multi_label" else "single_label_classification"
        try:
            model = MlcForSequenceClassification.from_encoder(model_path, self.data.labels, args.pooling, args.dropout,
                                                              problem_type)
        except ValueError as error:
            raise ConfigError(str(error)) from None
        _freeze(model, args)
        model.to(self.device)
        if not self.world.distributed:
            return model, model, tokenizer
        from torch.nn.parallel import DistributedDataParallel

        # Every rank starts from rank 0's weights (DDP broadcasts them); dropout then differs per rank.
        forward = DistributedDataParallel(model, device_ids=[self.device] if self.device.type == "cuda" else None)
        torch.manual_seed(args.seed + self.world.rank)
        self._say(f"mlc: training on {self.world.size} processes ({self.device.type}); each takes every "
                  f"{self.world.size}th batch")
        return model, forward, tokenizer

    def _prepare(self) -> _Run:
        """The model, the tokenized training split with its labels and masks, and the state to resume from."""
        args, data = self.args, self.data
        model, forward, tokenizer = self._build_model()
        ids, lengths, truncated = self._tokenize(tokenizer, "train")
        if truncated:
            self._say(f"mlc: {truncated} training texts are longer than --max-length {args.max_length} tokens and "
                      "were truncated")
        labels = np.array(column_values(data["train"], "labels"), dtype=np.float32)
        languages = column_values(data["train"], "language")
        masks = np.array([data.label_mask(lang) for lang in languages], dtype=np.float32)
        pos_weight = positive_weights(labels, masks, args.pos_weight, args.pos_weight_max)
        precision = precision_name(self.amp_dtype)
        where = torch.cuda.get_device_name(self.device) if self.device.type == "cuda" else "CPU"
        self._say(f"mlc: device {self.device} ({where}), precision {precision}"
                  f"{' autocast, loss in fp32' if self.amp_dtype else ''}")
        warning = emulation_warning(self.amp_dtype, self.device)
        if warning:
            self._say(warning)
        result = TrainResult(model, tokenizer, data, truncated=truncated, processes=self.world.size,
                             device=f"{self.device} ({where})", precision=precision)
        run = _Run(model, forward, tokenizer, ids, lengths, labels, languages, masks,
                   None if pos_weight is None else torch.tensor(pos_weight, device=self.device), result,
                   checkpoint_dir(args.output) if args.output else None, self._resume_state(model))
        if run.resume:
            result.stage_metrics = run.resume["stage_metrics"]
            result.choices = run.resume.get("stage_epochs", {})
            self.global_step, run.seen = run.resume["global_step"], run.resume["seen"]
        return run

    def _run_stage(self, run: _Run, index: int, stage: Stage) -> None:
        """One stage: its batches (this rank's share), a fresh optimiser and schedule, the loop, and the stage's
        validation (keeping the weights of its best evaluation)."""
        from tqdm.auto import tqdm

        args = self.args
        rows = np.arange(len(run.languages)) if stage.languages is None else \
            np.flatnonzero(np.isin(np.asarray(run.languages), stage.languages))
        batches = self._stage_batches(index, stage, rows, run.labels, run.languages, run.lengths)
        if self.world.distributed:  # the same list on every rank (same seed); each takes its share
            batches = batches[self.world.rank :: self.world.size][: len(batches) // self.world.size]
            if not batches:
                raise ConfigError(f"stage {stage.name} has fewer batches than processes ({self.world.size})")
        optimizer, scheduler = self._optimizer(run.model, math.ceil(len(batches) / args.gradient_accumulation))
        run.average = WeightAverage(run.model, args.ema_decay) if args.ema_decay else None
        best = BestTracker(args.early_stopping_patience)
        done = self._restore_stage(run, index, stage, len(batches), optimizer, scheduler, best)
        run.model.train()
        bar = tqdm(total=len(batches), initial=done, desc=stage.name, unit="batch", file=sys.stderr,
                   disable=not self.world.main, dynamic_ncols=True,
                   mininterval=1.0 if sys.stderr.isatty() else 15.0)
        losses: list[torch.Tensor] = []
        finished = done
        for number in range(done + 1, len(batches) + 1):
            finished = number
            step_ends = number % args.gradient_accumulation == 0 or number == len(batches)
            losses.append(self._backward(run, number, batches[number - 1], synchronise=step_ends))
            bar.update(1)
            if not step_ends:
                continue
            loss, losses = self._checked_loss(run, stage, number, losses), []
            self._optimizer_step(run.model, optimizer, scheduler)
            if run.average is not None:
                run.average.update()
            rate = run.seen / (time.perf_counter() - run.started)
            bar.set_postfix(loss=f"{loss:.4f}", samples_s=f"{rate:.1f}", refresh=False)
            if self._after_step(run, index, stage, number, loss, rate, optimizer, scheduler, best):
                break
        bar.close()
        if self._end_stage(run, stage, best):
            finished = best.batches
        # The epochs this stage trained, over every process's batches (what a refit repeats).
        run.result.choices[stage.name] = finished * self.world.size / math.ceil(len(rows) / args.batch_size)

    def _optimizer(self, model: MlcForSequenceClassification, steps: int):
        """AdamW (one fused kernel per step on a GPU; plain, bit-reproducible across resumes, on CPU) with linear
        warm-up and decay over `steps`."""
        optimizer = torch.optim.AdamW(_parameter_groups(model, self.args), fused=self.device.type == "cuda")
        warmup = int(steps * self.args.warmup_ratio)
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda s, w=warmup, t=steps: (s + 1) / (w + 1) if s < w else max(0.0, (t - s) / max(1, t - w)))
        return optimizer, scheduler

    def _restore_stage(self, run: _Run, index: int, stage: Stage, total: int, optimizer, scheduler,
                       best: BestTracker) -> int:
        """Batches of this stage already done: 0, or where the checkpoint being resumed left off (whose optimiser,
        schedule, random generators, gradient scaler and early-stopping state are restored)."""
        state = run.resume
        if not state or index != state["stage_index"]:
            return 0
        saved = state["optimizer"]
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        torch.set_rng_state(saved["torch_rng"])
        if self.device.type == "cuda" and "cuda_rng" in saved:
            torch.cuda.set_rng_state(saved["cuda_rng"], self.device)
        if "scaler" in saved:
            self.scaler.load_state_dict(saved["scaler"])
        if run.average is not None:
            run.average.load_state_dict(saved["weight_average"])
        if "early_stopping" in state:
            best.restore(state["early_stopping"], state.get("best_model"), self.device)
        self._say(f"mlc: resuming {stage.name} at batch {state['batches_done'] + 1} of {total} (step "
                  f"{self.global_step})")
        return state["batches_done"]

    def _backward(self, run: _Run, number: int, rows: np.ndarray, synchronise: bool) -> torch.Tensor:
        """Forward and backward of one batch; the loss stays on the device (no sync per batch). Under DDP the
        gradients are averaged across processes only on the batch that ends an optimiser step (`synchronise`); the
        others accumulate locally in `no_sync()`."""
        args = self.args
        inputs = self._collate(run.tokenizer, run.ids, rows)
        targets = torch.from_numpy(run.labels[rows]).to(self.device)
        local = run.forward.no_sync() if run.forward is not run.model and not synchronise else contextlib.nullcontext()
        with local:
            with torch.autocast(self.device.type, dtype=self.amp_dtype, enabled=self.amp_dtype is not None):
                logits = run.forward(**inputs).logits
            if args.problem == "single_label":
                loss = single_label_loss(logits, targets)
            else:
                mask = torch.from_numpy(run.masks[rows]).to(self.device)
                loss = multilabel_loss(logits, targets, mask, run.pos_weight,
                                       args.focal_gamma if args.loss == "focal" else None)
            self.scaler.scale(loss / args.gradient_accumulation).backward()
        run.seen += len(rows) * self.world.size
        return loss.detach()

    def _checked_loss(self, run: _Run, stage: Stage, number: int, losses: list[torch.Tensor]) -> float:
        """The mean loss of an optimiser step's batches, checked once per step before the step is taken: a NaN or
        infinite loss on any rank stops every rank (one all-reduce per step, not per batch)."""
        values = torch.stack(losses).float()
        if distributed.any_true(not bool(torch.isfinite(values).all()), self.device):
            kept = " the last checkpoint is intact" if run.checkpoints and run.checkpoints.exists() else \
                " nothing was saved from this run"
            found = [(i, v) for i, v in enumerate(values.tolist()) if not math.isfinite(v)]
            at, bad = found[0] if found else (len(losses) - 1, float("nan"))  # else: on another rank
            raise TrainingDivergedError(
                f"the loss became {bad} at step {self.global_step + 1} (stage {stage.name}, batch "
                f"{number - len(losses) + 1 + at});{kept} (hint: lower --learning-rate, use --pos-weight-max, or "
                "--precision fp32)")
        return float(values.mean())

    def _optimizer_step(self, model: MlcForSequenceClassification, optimizer, scheduler) -> None:
        if self.args.max_grad_norm:
            self.scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), self.args.max_grad_norm)
        self.scaler.step(optimizer)  # a plain optimizer.step() unless fp16
        self.scaler.update()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        self.global_step += 1

    def _after_step(self, run: _Run, index: int, stage: Stage, number: int, loss: float, rate: float, optimizer,
                    scheduler, best: BestTracker) -> bool:
        """Logging, evaluation with early stopping, and checkpoints after an optimiser step; True ends the stage."""
        args, step = self.args, self.global_step
        if step % args.logging_steps == 0:
            self._log({"step": step, "stage": stage.name, "loss": loss, "lr": scheduler.get_last_lr()[0],
                       "samples_per_second": rate})
        if args.eval_steps and step % args.eval_steps == 0 and "validation" in self.data.splits:
            metrics = self.evaluate(run.model, run.tokenizer)
            self._log({"step": step, "stage": stage.name, "eval": metrics})
            if best.update(metrics, run.model, number):
                self._say(f"mlc: early stop in {stage.name} at step {step}: no better validation macro-F1 (nor, "
                          f"at equal F1, average precision) in {args.early_stopping_patience} evaluations (best "
                          f"{best.score:.4f})")
                return True
        if run.checkpoints and args.checkpoint_steps and step % args.checkpoint_steps == 0:
            if self.world.main:
                save_checkpoint(run.checkpoints, run.model, optimizer, scheduler, self.scaler, {
                    "stage_index": index, "batches_done": number, "global_step": step, "seen": run.seen,
                    "stage_metrics": run.result.stage_metrics, "stage_epochs": run.result.choices,
                    "early_stopping": best.summary(), "data_files": self.data.info.get("files")}, args, best.state,
                    None if run.average is None else run.average.state_dict())
            distributed.barrier()
        return bool(args.max_steps and step >= args.max_steps)

    def _end_stage(self, run: _Run, stage: Stage, best: BestTracker) -> bool:
        """The stage's validation metrics, from its best evaluation's weights if they beat the last ones (or, with
        --ema-decay, their average); True when those weights were kept."""
        if "validation" not in self.data.splits:
            if run.average is not None:
                run.average.apply()
            return False
        if run.average is not None:
            last = self.evaluate(run.model, run.tokenizer)["all"]
            run.average.apply()
            self._say(f"mlc: {stage.name}: ends with the weights' average over its steps (--ema-decay "
                      f"{self.args.ema_decay}); the last weights scored validation macro-F1 {last['macro_f1']:.4f}"
                      + ("" if last.get("macro_ap") is None else f", macro average precision {last['macro_ap']:.4f}"))
        metrics = self.evaluate(run.model, run.tokenizer)
        kept = best.state is not None and rank(best.metrics) > rank(metrics)
        if kept:
            run.model.load_state_dict(best.state)
            metrics = best.metrics
            self._say(f"mlc: {stage.name}: kept the weights of its best evaluation")
        run.result.stage_metrics[stage.name] = metrics
        self._log({"step": self.global_step, "stage": stage.name, "eval": metrics})
        ap = metrics["all"].get("macro_ap")
        self._say(f"mlc: after {stage.name}: validation macro-F1 {metrics['all']['macro_f1']:.4f} (mean over "
                  f"languages), micro-F1 {metrics['all']['micro_f1']:.4f} at 0.5"
                  + ("" if ap is None else f"; macro average precision {ap:.4f} (threshold-free)"))
        return kept

    def _stage_batches(self, index: int, stage: Stage, rows: np.ndarray, labels: np.ndarray, languages: list[str],
                       lengths: np.ndarray) -> list[np.ndarray]:
        """The stage's batches, rebuilt identically from the seed and the stage index (which resuming relies on)."""
        args = self.args
        weights = rare_label_weights(labels[rows], args.oversample_rare)
        if stage.balanced:
            weights = weights * language_weights([languages[i] for i in rows], args.language_temperature)
        uniform = not stage.balanced and args.oversample_rare <= 0
        total = max(1, round(math.ceil(len(rows) / args.batch_size) * stage.epochs))
        rng = np.random.default_rng([args.seed, index])
        batches: list[np.ndarray] = []
        while len(batches) < total:
            order = rows[epoch_indices(len(rows), None if uniform else weights, rng)]
            batches += length_grouped_batches(order, lengths, args.batch_size, rng)
        return batches[:total]

    def _resume_state(self, model: MlcForSequenceClassification) -> dict | None:
        if not self.args.resume:
            return None
        state = load_checkpoint(checkpoint_dir(self.args.output), self.args, self.data.info.get("files"))
        model.load_state_dict(state.pop("model"))
        return state

    def predict_proba(self, model: MlcForSequenceClassification, tokenizer, split: str) -> np.ndarray:
        """The encoder's probabilities for a split (mlc.model.scoring, as a Classifier scores)."""
        ids, _, _ = self._tokenize(tokenizer, split)
        return score_ids(model, tokenizer, ids, self.args.eval_batch_size, self.device, self.amp_dtype,
                         single_label=self.args.problem == "single_label")

    def evaluate(self, model: MlcForSequenceClassification, tokenizer, split: str = "validation",
                 thresholds: np.ndarray | None = None) -> dict[str, dict[str, float]]:
        probs = self.predict_proba(model, tokenizer, split)
        if self.args.problem == "single_label":
            pred = np.eye(probs.shape[1], dtype=int)[probs.argmax(1)]
        else:
            pred = (probs >= (0.5 if thresholds is None else thresholds)).astype(int)
        truth = np.array(column_values(self.data[split], "labels"))
        languages = column_values(self.data[split], "language")
        masks = {lang: self.data.label_mask(lang) for lang in set(languages)}
        return language_f1(pred, truth, languages, masks, probs if self.args.problem == "multi_label" else None)
