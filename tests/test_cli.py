"""Every `python -m mlc.<verb> --help` runs and documents every option of its arguments dataclasses."""

from __future__ import annotations

import dataclasses

import pytest

from mlc.data.args import DataArgs
from mlc.inference_args import EvaluateArgs, PredictArgs
from mlc.training_args import TrainArgs

from .conftest import run_module


@pytest.mark.parametrize("module, args_class", [
    ("mlc.data", DataArgs), ("mlc.train", TrainArgs), ("mlc.evaluate", EvaluateArgs), ("mlc.predict", PredictArgs),
])
def test_help_lists_every_option(module, args_class):
    run = run_module(module, "--help", timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    flags = ["--" + f.name.replace("_", "-") for f in dataclasses.fields(args_class)
             if f.init and f.metadata.get("cli") is not False]
    missing = [flag for flag in flags if flag not in run.stdout]
    assert not missing, f"{module} --help does not document {missing}"
    assert "--config" in run.stdout


def test_percent_signs_in_help_are_printed_literally():
    run = run_module("mlc.evaluate", "--help", timeout=120)
    assert "95% intervals" in run.stdout, run.stderr[-2000:]
