"""Training checkpoints: the whole training state in one folder, replaced atomically, so a run killed at any moment
(kill -9 included) resumes from the last complete checkpoint."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from mlc.core.atomic import atomic_folder
from mlc.core.errors import ConfigError

STATE_FILE = "state.json"
BEST_FILE = "best.safetensors"
# Options that must not change between a run and its resumption (they change the batches or the model).
_FIXED = ("data", "validation", "model", "schedule", "language_order", "language_epochs", "epochs", "batch_size",
          "gradient_accumulation", "seed", "pooling", "problem", "max_length", "language_temperature",
          "oversample_rare", "validation_size", "threshold_holdout", "split_seed")


def checkpoint_dir(output: str | os.PathLike) -> Path:
    output = Path(output)
    return output.with_name(output.name + ".checkpoint")


def _cpu(weights: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().contiguous() for k, v in weights.items()}


def save_checkpoint(folder: Path, model, optimizer, scheduler, scaler, state: dict[str, Any], args,
                    best_weights: dict[str, torch.Tensor] | None = None) -> None:
    """Everything a resumed run needs, atomically; `best_weights`: early stopping's best weights of the stage."""
    from safetensors.torch import save_file

    with atomic_folder(folder) as tmp:
        save_file(_cpu(model.state_dict()), tmp / "model.safetensors")
        if best_weights is not None:
            save_file(_cpu(best_weights), tmp / BEST_FILE)
        rng = {"torch_rng": torch.get_rng_state()}
        device = next(model.parameters()).device
        if device.type == "cuda":  # dropout on a GPU draws from the GPU's generator
            rng["cuda_rng"] = torch.cuda.get_rng_state(device)
        torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                    "scaler": scaler.state_dict(), **rng}, tmp / "optimizer.pt")
        (tmp / STATE_FILE).write_text(json.dumps({**state, "args": asdict(args)}, indent=2), "utf-8")


def load_checkpoint(folder: Path, args) -> dict[str, Any]:
    """The saved state (model weights under `model`, optimiser state under `optimizer`), after checking that the
    run's options match the checkpoint's."""
    from safetensors.torch import load_file

    if not (folder / STATE_FILE).is_file():
        raise ConfigError(f"{folder}: no checkpoint to resume from (hint: train with --checkpoint-steps N; without "
                          "--resume a run starts from scratch)")
    state = json.loads((folder / STATE_FILE).read_text("utf-8"))
    current = asdict(args)
    changed = [k for k in _FIXED if state["args"].get(k) != current.get(k)]
    if changed:
        raise ConfigError(f"{folder}: cannot resume with different {', '.join(changed)} (checkpoint has "
                          + ", ".join(f"{k}={state['args'].get(k)!r}" for k in changed) + ")")
    state["model"] = load_file(folder / "model.safetensors")
    if (folder / BEST_FILE).is_file():
        state["best_model"] = load_file(folder / BEST_FILE)
    state["optimizer"] = torch.load(folder / "optimizer.pt", weights_only=True)
    return state
