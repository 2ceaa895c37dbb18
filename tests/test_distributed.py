"""mlc.model.distributed and mlc.model.device: the process's place in a torchrun world, and its device. The
several-process path itself runs in test_trainer (torchrun, 2 CPU processes, gloo)."""

from __future__ import annotations

import pytest
import torch

from mlc.core.errors import ConfigError
from mlc.model import distributed
from mlc.model.device import pick_device


def test_the_world_comes_from_torchruns_variables(monkeypatch):
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    alone = distributed.current()
    assert (alone.rank, alone.size, alone.main, alone.distributed) == (0, 1, True, False)
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("LOCAL_RANK", "1")
    world = distributed.current()
    assert (world.rank, world.size, world.local_rank, world.main, world.distributed) == (3, 4, 1, False, True)


def test_without_a_process_group_collectives_are_local():
    assert not torch.distributed.is_initialized()
    assert distributed.any_true(True, torch.device("cpu")) and not distributed.any_true(False, torch.device("cpu"))
    distributed.barrier()
    distributed.cleanup()


def test_devices(monkeypatch):
    assert pick_device("cpu") == torch.device("cpu")
    assert pick_device("auto") == torch.device("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ConfigError, match="not a device"):
        pick_device("tpu:9x")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="no CUDA GPU is visible"):
            pick_device("cuda")
