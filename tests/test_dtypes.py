"""mlc.model.dtypes: what a precision option means on a device (no CPU is asked to emulate bf16 by default)."""

from __future__ import annotations

import pytest
import torch

from mlc.model import dtypes

CPU = torch.device("cpu")


@pytest.mark.parametrize("native", [True, False])
def test_auto_follows_the_bundle_where_the_cpu_runs_it_natively(monkeypatch, native):
    monkeypatch.setattr(dtypes, "cpu_has_native_bf16", lambda: native)
    assert dtypes.scoring_dtype("auto", CPU, "bf16") == (torch.bfloat16 if native else None)
    assert dtypes.scoring_dtype("auto", CPU, None) is None and dtypes.scoring_dtype("auto", CPU, "fp32") is None
    assert dtypes.scoring_dtype("bf16", CPU, "fp32") == torch.bfloat16  # asked for: given, with a warning
    assert (dtypes.emulation_warning(torch.bfloat16, CPU) is None) == native
    assert dtypes.autocast_dtype("auto", CPU) == (torch.bfloat16 if native else None)


def test_names_round_trip():
    for name in ("fp32", "bf16", "fp16"):
        assert dtypes.precision_name(dtypes.dtype_of(name)) == name
    assert set(dtypes.PRECISIONS) == {"auto", "fp32", "bf16", "fp16"}
