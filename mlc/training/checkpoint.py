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
# Options that cannot change the trained model, which a resumed run may change; every other option, and the bytes
# of the data files, must be those of the run it continues. max_steps only says where to stop (the learning-rate
# schedule follows the epochs), so a run stopped early continues the same trajectory (tests/test_trainer.py).
FREE_OPTIONS = ("logging_steps", "checkpoint_steps", "resume", "overwrite", "threads", "cache_dir", "export",
                "eval_batch_size", "ddp_backend", "max_steps")


def checkpoint_dir(output: str | os.PathLike) -> Path:
    output = Path(output)
    return output.with_name(output.name + ".checkpoint")


def _cpu(weights: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().contiguous() for k, v in weights.items()}


def save_checkpoint(folder: Path, model, optimizer, scheduler, scaler, state: dict[str, Any], args,
                    best_weights: dict[str, torch.Tensor] | None = None, average: dict | None = None) -> None:
    """Everything a resumed run needs, atomically; `best_weights`: early stopping's best weights of the stage;
    `average`: the stage's weight average (mlc.training.averaging)."""
    from safetensors.torch import save_file

    with atomic_folder(folder) as tmp:
        save_file(_cpu(model.state_dict()), tmp / "model.safetensors")
        if best_weights is not None:
            save_file(_cpu(best_weights), tmp / BEST_FILE)
        rng = {"torch_rng": torch.get_rng_state()}
        device = next(model.parameters()).device
        if device.type == "cuda":  # dropout on a GPU draws from the GPU's generator
            rng["cuda_rng"] = torch.cuda.get_rng_state(device)
        extra = {} if average is None else {"weight_average": average}
        torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                    "scaler": scaler.state_dict(), **rng, **extra}, tmp / "optimizer.pt")
        (tmp / STATE_FILE).write_text(json.dumps({**state, "args": asdict(args)}, indent=2), "utf-8")


def load_checkpoint(folder: Path, args, data_files: dict | None) -> dict[str, Any]:
    """The saved state (model weights under `model`, optimiser state under `optimizer`), after checking that the
    run's options match the checkpoint's and `data_files` (the digests of the data this run loaded,
    MultiLabelData.info["files"]) its state's `data_files`."""
    from safetensors.torch import load_file

    if not (folder / STATE_FILE).is_file():
        raise ConfigError(f"{folder}: no checkpoint to resume from (hint: train with --checkpoint-steps N; without "
                          "--resume a run starts from scratch)")
    state = json.loads((folder / STATE_FILE).read_text("utf-8"))
    check_resumable(folder, state, args, data_files)
    state["model"] = load_file(folder / "model.safetensors")
    if (folder / BEST_FILE).is_file():
        state["best_model"] = load_file(folder / BEST_FILE)
    state["optimizer"] = torch.load(folder / "optimizer.pt", weights_only=True)
    return state


def changed_options(saved: dict[str, Any], args) -> list[str]:
    """The options of `args` that differ from `saved` (a run's recorded options), FREE_OPTIONS aside."""
    current = asdict(args)
    return [k for k in sorted(set(saved) | set(current)) if k not in FREE_OPTIONS and saved.get(k) != current.get(k)]


def check_resumable(folder: Path, state: dict[str, Any], args, data_files: dict | None) -> None:
    """Refuse to resume with any option but FREE_OPTIONS changed, or with data files whose bytes changed."""
    saved = state["args"]
    changed = changed_options(saved, args)
    if changed:
        raise ConfigError(f"{folder}: cannot resume with different {', '.join(changed)} (the checkpoint has "
                          + ", ".join(f"{k}={saved.get(k)!r}" for k in changed) + ") (hint: resume with the "
                          f"checkpoint's options; only {', '.join(FREE_OPTIONS)} may change)")
    if state.get("data_files") != data_files:
        raise ConfigError(f"{folder}: cannot resume: the training data changed since the checkpoint was saved (hint: "
                          "resume with the same data files, or remove the checkpoint to start over)")
