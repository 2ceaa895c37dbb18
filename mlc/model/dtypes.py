"""Numeric precision of training and scoring: which autocast dtype an option means on a device.

Training (`autocast_dtype`): `auto` is bf16 on GPUs that support it (else fp16), bf16 on CPUs with bf16 instructions,
fp32 on other CPUs. Scoring (`scoring_dtype`): `auto` is the precision the bundle's thresholds were tuned under
(recorded in the bundle's thresholds.json as `scores_precision`) where this device runs it natively, else fp32, so that a bundle
scores as it did when its thresholds were chosen and a CPU never emulates bf16.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

# The option's values; torch is imported by the functions below only, so that options (and --help) stay light.
PRECISIONS = ("auto", "fp32", "bf16", "fp16")


def dtype_of(name: str) -> torch.dtype | None:
    """The autocast dtype a precision name means (None: plain fp32)."""
    import torch

    return {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[name]


def cpu_has_native_bf16() -> bool:
    """Whether this CPU has bf16 matrix instructions (AVX512-BF16 or AMX). Without them torch emulates bf16, which
    ran 6 to 40 times slower than fp32; with them a training step of the embedded model ran 2.45 times as fast
    (benchmarks/RESULTS.md, section `train_speed`)."""
    import torch

    try:  # private helpers of torch.cpu (torch 2.1+); treat their absence as no support
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except AttributeError:
        return False


def precision_name(dtype: torch.dtype | None) -> str:
    """What an autocast dtype (None: plain fp32) is called in options, logs, metrics.json and thresholds.json."""
    return next(name for name in ("fp32", "bf16", "fp16") if dtype_of(name) == dtype)


def is_native(dtype: torch.dtype | None, device: torch.device) -> bool:
    """Whether `device` computes in `dtype` with its own instructions (fp32 always does)."""
    import torch

    if dtype is None:
        return True
    if device.type == "cpu":
        return dtype == torch.bfloat16 and cpu_has_native_bf16()
    return dtype == torch.float16 or torch.cuda.is_bf16_supported()


def emulation_warning(dtype: torch.dtype | None, device: torch.device) -> str | None:
    """The warning for a CPU asked to compute in a precision it only emulates (slower than fp32), else None."""
    if device.type != "cpu" or is_native(dtype, device):
        return None
    name = precision_name(dtype)
    return (f"mlc: warning: this CPU has no {name} instructions, so {name} is emulated and slower than fp32 "
            "(hint: --precision fp32, or auto)")


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The training autocast dtype, or None for plain fp32. `auto`: bf16 on GPUs that support it (else fp16), and
    on CPUs with bf16 instructions; fp32 on other CPUs."""
    import torch

    if precision == "auto" and device.type == "cpu":
        return torch.bfloat16 if cpu_has_native_bf16() else None
    if precision == "auto":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return dtype_of(precision)


def scoring_dtype(precision: str, device: torch.device, tuned: str | None) -> torch.dtype | None:
    """The inference autocast dtype. `auto`: `tuned` (the precision the bundle's thresholds were tuned under; None
    for bundles that do not record it, scored in fp32) where `device` runs it natively, else fp32."""
    if precision != "auto":
        return dtype_of(precision)
    dtype = dtype_of(tuned if tuned in ("bf16", "fp16") else "fp32")
    return dtype if is_native(dtype, device) else None
