"""Several processes (DDP), launched by `torchrun` or `accelerate launch`: both set RANK, WORLD_SIZE and LOCAL_RANK.
One process per GPU (NCCL), or several CPU processes (gloo) for testing the path without a GPU."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch


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


def current() -> World:
    return World(int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)),
                 int(os.environ.get("LOCAL_RANK", 0)))


def setup(device: torch.device, backend: str = "auto") -> World:
    """Join the process group when launched with several processes (idempotent)."""
    world = current()
    if world.distributed and not torch.distributed.is_initialized():
        if backend == "auto":
            backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        torch.distributed.init_process_group(backend)
    return world


def any_true(flag: bool, device: torch.device) -> bool:
    """True on every process if `flag` is true on any (e.g. a NaN loss on one rank must stop them all)."""
    if not torch.distributed.is_initialized():
        return flag
    value = torch.tensor([float(flag)], device=device)
    torch.distributed.all_reduce(value)
    return bool(value.item() > 0)


def barrier() -> None:
    if torch.distributed.is_initialized():
        torch.distributed.barrier()


def cleanup() -> None:
    if torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()
