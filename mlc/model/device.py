"""Which device a process computes on."""

from __future__ import annotations

import os

import torch

from mlc.core.errors import ConfigError


def pick_device(spec: str) -> torch.device:
    """auto: this process's GPU (LOCAL_RANK under torchrun) if there is one, else the CPU."""
    local = int(os.environ.get("LOCAL_RANK", 0))
    distributed = int(os.environ.get("WORLD_SIZE", 1)) > 1
    if spec == "auto":
        spec = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(f"cuda:{local}" if spec == "cuda" and distributed else spec)
    except RuntimeError:
        raise ConfigError(f"--device {spec}: not a device (hint: auto, cpu, cuda, or cuda:N)") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"--device {spec} was asked for but no CUDA GPU is visible to torch")
    if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
        raise ConfigError(f"process {local} wants GPU {device.index} but torch sees {torch.cuda.device_count()} "
                          "(hint: launch at most one process per GPU, or share one GPU with --device cuda:0 "
                          "--ddp-backend gloo)")
    return device
