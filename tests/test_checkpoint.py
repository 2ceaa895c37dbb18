"""mlc.training.checkpoint: a checkpoint round-trips and refuses to resume under options that change the run."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest
import torch

from mlc.core.errors import ConfigError
from mlc.core.fingerprint import file_digest
from mlc.data import load_data
from mlc.training.args import TrainArgs
from mlc.training.checkpoint import BEST_FILE, checkpoint_dir, load_checkpoint, save_checkpoint


def _parts():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.1)
    model(torch.ones(1, 3)).sum().backward()
    optimizer.step()
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    return model, optimizer, scheduler, torch.amp.GradScaler("cpu", enabled=False)


def test_checkpoint_round_trip(tmp_path):
    args = TrainArgs(data="d.csv", output=str(tmp_path / "bundle"))
    folder = checkpoint_dir(args.output)
    assert folder == tmp_path / "bundle.checkpoint"
    model, optimizer, scheduler, scaler = _parts()
    best = {k: v * 2 for k, v in model.state_dict().items()}
    save_checkpoint(folder, model, optimizer, scheduler, scaler, {"global_step": 7}, args, best)
    assert (folder / BEST_FILE).is_file() and not list(tmp_path.glob(".*tmp*"))
    state = load_checkpoint(folder, args, None)
    assert state["global_step"] == 7
    assert all(torch.equal(state["model"][k], v) for k, v in model.state_dict().items())
    assert all(torch.equal(state["best_model"][k], v) for k, v in best.items())
    assert state["optimizer"]["optimizer"]["state"][0]["step"] == optimizer.state_dict()["state"][0]["step"]


@pytest.mark.parametrize("change", [{"batch_size": 3, "seed": 1}, {"learning_rate": 1e-3}, {"epochs": 5.0},
                                    {"dropout": 0.2}, {"ngram_weight": 0.3}, {"threshold_objective": "f1"}])
def test_resuming_with_options_that_change_the_run_is_refused(tmp_path, change):
    args = TrainArgs(data="d.csv", output=str(tmp_path / "bundle"))
    folder = checkpoint_dir(args.output)
    save_checkpoint(folder, *_parts(), {"global_step": 1}, args)
    names = ", ".join(sorted(change))
    with pytest.raises(ConfigError, match=rf"cannot resume with different {names} \(the checkpoint has "):
        load_checkpoint(folder, replace(args, **change), None)


def test_options_that_cannot_change_the_model_may_differ_on_resume(tmp_path):
    args = TrainArgs(data="d.csv", output=str(tmp_path / "bundle"))
    folder = checkpoint_dir(args.output)
    save_checkpoint(folder, *_parts(), {"global_step": 1}, args)
    free = {"logging_steps": 3, "checkpoint_steps": 9, "threads": 1, "cache_dir": "elsewhere", "export": "onnx",
            "eval_batch_size": 8, "ddp_backend": "gloo", "resume": True, "overwrite": True, "max_steps": 50}
    assert load_checkpoint(folder, replace(args, **free), None)["global_step"] == 1


def test_resuming_on_changed_data_is_refused(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("text,labels\nhello,a\nhola,b\n", encoding="utf-8")
    args = TrainArgs(data=str(data), output=str(tmp_path / "bundle"))
    folder = checkpoint_dir(args.output)
    files = load_data(str(data), validation_size=0).info["files"]
    assert files["data"] == {"d.csv": file_digest(data)} and files["validation"] is None
    save_checkpoint(folder, *_parts(), {"global_step": 1, "data_files": files}, args)
    assert load_checkpoint(folder, args, load_data(str(data), validation_size=0).info["files"])["global_step"] == 1
    stat = data.stat()
    data.write_text("text,labels\nhellO,a\nhola,b\n", encoding="utf-8")  # same size, same modification time
    os.utime(data, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    with pytest.raises(ConfigError, match="the training data changed since the checkpoint was saved"):
        load_checkpoint(folder, args, load_data(str(data), validation_size=0).info["files"])
    with pytest.raises(ConfigError, match="no checkpoint to resume from"):
        load_checkpoint(tmp_path / "nothing", args, files)
