"""Training throughput (CPU, or a GPU with --device cuda): mlc's default recipe against the naive loop of the classic tutorials.

Same model (the embedded multilingual-e5-small), same data (BRIGHTER English train), same batch size, in one run:
  naive  full fine-tuning, every text padded to --max-length, random batches, fp32
  mlc    mlc.Trainer with its defaults (dynamic padding, length-grouped batches, frozen word embeddings), once per
         --precision (a comma-separated list: fp32,bf16 compares the two on this CPU)
Reports samples/second of each and the ratios. Usage:
  python benchmarks/train_speed.py --steps 30 [--precision fp32,auto] [--device cuda] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import cpu_description  # noqa: E402

from mlc.data import load_data  # noqa: E402
from mlc.model.device import pick_device  # noqa: E402
from mlc.model.dtypes import autocast_dtype, precision_name  # noqa: E402
from mlc.model.encoders import load_tokenizer, resolve_model  # noqa: E402
from mlc.model.modeling import MlcForSequenceClassification  # noqa: E402
from mlc.training.args import TrainArgs  # noqa: E402
from mlc.training.losses import multilabel_loss  # noqa: E402
from mlc.training.trainer import Trainer  # noqa: E402


def naive(data, model_path: str, steps: int, batch_size: int, max_length: int, seed: int,
          device: torch.device) -> float:
    """The tutorial loop: tokenizer(padding='max_length'), shuffled batches, AdamW on every parameter, fp32."""
    torch.manual_seed(seed)
    tokenizer = load_tokenizer(model_path)
    model = MlcForSequenceClassification.from_encoder(model_path, data.labels, "mean", 0.1).to(device).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)
    texts, labels = list(data["train"]["text"]), np.array(list(data["train"]["labels"]), dtype=np.float32)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(texts))
    seen, started = 0, None
    for step in range(steps + 2):
        rows = order[(step * batch_size) % len(order):][:batch_size]
        if step == 2:  # two warm-up steps, as for mlc
            _sync(device)
            started, seen = time.perf_counter(), 0
        batch = tokenizer([texts[i] for i in rows], padding="max_length", truncation=True, max_length=max_length,
                          return_tensors="pt").to(device)
        loss = multilabel_loss(model(**batch).logits, torch.from_numpy(labels[rows]).to(device))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        seen += len(rows)
    _sync(device)
    return seen / (time.perf_counter() - started)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def mlc_recipe(args: TrainArgs, data) -> float:
    warm = Trainer(TrainArgs(**{**args.__dict__, "max_steps": 2}), data)
    warm.train()
    trainer = Trainer(args, data)
    return trainer.train().samples_per_second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(ROOT.parent / "shared/data/brighter/train/eng.csv"))
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--precision", default="auto", help="one or several, comma-separated: auto, fp32, bf16, fp16")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto (both recipes run on it)")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--no-results", action="store_true", help="do not update benchmarks/RESULTS.md")
    opts = parser.parse_args()
    data = load_data(opts.data, validation_size=0)
    model_path = resolve_model("default")
    device = pick_device(opts.device)
    precisions = opts.precision.split(",")
    fast = {}
    for precision in precisions:
        args = TrainArgs(data=opts.data, output="unused", schedule="joint", epochs=100, max_steps=opts.steps,
                         batch_size=opts.batch_size, max_length=opts.max_length, precision=precision,
                         validation_size=0, device=opts.device)
        fast[precision] = mlc_recipe(args, data)
    slow = naive(data, model_path, opts.steps, opts.batch_size, opts.max_length, args.seed, device)
    machine = torch.cuda.get_device_name(device) if device.type == "cuda" else cpu_description()
    resolved = {p: precision_name(autocast_dtype(p, device)) for p in precisions}
    result = {"machine": machine, "device": str(device),
              "torch": torch.__version__, "data": opts.data, "steps": opts.steps, "batch_size": opts.batch_size,
              "max_length": opts.max_length, "precisions": resolved,
              "naive_samples_per_second": round(slow, 2),
              "mlc_samples_per_second": {p: round(v, 2) for p, v in fast.items()},
              "speedup": {p: round(v / slow, 2) for p, v in fast.items()}}
    print(json.dumps(result, indent=2))
    if opts.json:
        Path(opts.json).write_text(json.dumps(result, indent=2))
    if not opts.no_results:
        from results import update_section

        command = (f"python benchmarks/train_speed.py --steps {opts.steps} --batch-size {opts.batch_size} "
                   f"--max-length {opts.max_length} --precision {opts.precision} --device {opts.device}")
        on_gpu = device.type == "cuda"
        rows = "".join(f"| mlc default (dynamic padding, length-grouped batches, frozen word embeddings), precision "
                       f"{p}{'' if resolved[p] == p else f' ({resolved[p]})'} | {v:.2f} | **{v / slow:.2f}x** |\n"
                       for p, v in fast.items())
        update_section("train_speed_gpu" if on_gpu else "train_speed",
                       f"""## Training throughput on {'a GPU' if on_gpu else 'CPU'} (`benchmarks/train_speed.py`)

`{command}`

Machine: {result['machine']}, torch {result['torch']}. Data: BRIGHTER English train, batch {opts.batch_size}, {opts.steps}
optimiser steps after 2 warm-up steps, the embedded multilingual-e5-small.

| recipe | samples/s | against the naive loop |
|---|---|---|
| naive loop (pad to {opts.max_length}, full fine-tuning, shuffled, fp32) | {slow:.2f} | 1x |
{rows}""")


if __name__ == "__main__":
    main()
