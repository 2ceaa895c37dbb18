"""Several processes (DDP), launched by `torchrun` or `accelerate launch`: both set RANK, WORLD_SIZE and LOCAL_RANK.
One process per GPU (NCCL), or several CPU processes (gloo) for testing the path without a GPU. Importing this module
does not import torch (prediction with ONNX Runtime runs without it)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1

    def takes(self, chunk: int) -> bool:
        """Whether this process does chunk number `chunk` of a job shared out by chunks: process r takes chunks
        r, r + N, r + 2N, ... of N processes (prediction and evaluation alike)."""
        return chunk % self.size == self.rank

    @property
    def local_size(self) -> int:
        """Processes on this machine (torchrun's LOCAL_WORLD_SIZE; the whole world when it is not set)."""
        return int(os.environ.get("LOCAL_WORLD_SIZE", self.size))


def current() -> World:
    return World(int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)),
                 int(os.environ.get("LOCAL_RANK", 0)))


def setup(device: Any, backend: str = "auto", timeout: timedelta | None = None) -> World:
    """Join the process group when launched with several processes (idempotent)."""
    import torch

    world = current()
    if world.distributed and not torch.distributed.is_initialized():
        if backend == "auto":
            backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        torch.distributed.init_process_group(backend, timeout=timeout)
    return world


def _initialized() -> bool:
    import sys

    torch = sys.modules.get("torch")  # a process that never imported torch never joined a group
    return torch is not None and torch.distributed.is_initialized()


def any_true(flag: bool, device: Any) -> bool:
    """True on every process if `flag` is true on any (e.g. a NaN loss on one rank must stop them all)."""
    if not _initialized():
        return flag
    import torch

    value = torch.tensor([float(flag)], device=device)
    torch.distributed.all_reduce(value)
    return bool(value.item() > 0)


def barrier() -> None:
    if _initialized():
        import torch

        torch.distributed.barrier()


def cleanup() -> None:
    if _initialized():
        import torch

        torch.distributed.destroy_process_group()
