"""Every `python -m mlc.<verb> --help` runs and documents every option of its arguments dataclasses."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import sys

import pytest

from mlc.commands.data import SummaryArgs
from mlc.commands.space import SpaceArgs
from mlc.core.errors import ConfigError
from mlc.core.options import hidden_options
from mlc.core.runner import run_cli
from mlc.demo.__main__ import DemoBundleArgs
from mlc.demo.args import AppArgs
from mlc.evaluation.args import EvaluateArgs
from mlc.inference.args import PredictArgs
from mlc.training.args import TrainArgs

from .conftest import ROOT, run_module


@pytest.mark.parametrize("module, args_class", [
    ("mlc.data", SummaryArgs), ("mlc.train", TrainArgs), ("mlc.evaluate", EvaluateArgs), ("mlc.predict", PredictArgs),
    ("mlc.demo", DemoBundleArgs), ("app.py", AppArgs), ("mlc.space", SpaceArgs),
])
def test_help_lists_every_option(module, args_class):
    run = subprocess.run([sys.executable, "app.py", "--help"], cwd=ROOT, capture_output=True, text=True,
                         timeout=300) if module == "app.py" else run_module(module, "--help", timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    flags = ["--" + f.name.replace("_", "-") for f in dataclasses.fields(args_class)
             if f.init and f.metadata.get("cli") is not False and f.name not in hidden_options(args_class)]
    # Whole flags: --validation must not hide behind --validation-size.
    missing = [flag for flag in flags if not re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", run.stdout)]
    assert not missing, f"{module} --help does not document {missing}"
    assert "--config" in run.stdout


def test_percent_signs_in_help_are_printed_literally():
    run = run_module("mlc.evaluate", "--help", timeout=120)
    assert "95% intervals" in run.stdout, run.stderr[-2000:]


def test_config_values_are_checked_like_flags(tmp_path):
    (tmp_path / "c.yaml").write_text("batch_size: abc\n")
    run = run_module("mlc.predict", "--config", str(tmp_path / "c.yaml"), timeout=120)
    assert run.returncode == 2 and "option batch_size: expected int, got 'abc'" in run.stderr
    (tmp_path / "c.yaml").write_text("long_text: sideways\n")
    run = run_module("mlc.predict", "--config", str(tmp_path / "c.yaml"), timeout=120)
    assert run.returncode == 2 and "'sideways' is not one of truncate, window" in run.stderr
    (tmp_path / "c.yaml").write_bytes(b"\xff\xfe\x00")
    run = run_module("mlc.predict", "--config", str(tmp_path / "c.yaml"), timeout=120)
    assert run.returncode == 2 and "cannot parse the config file" in run.stderr and "Traceback" not in run.stderr


def test_os_errors_and_bugs_are_one_line(capsys, monkeypatch):
    def denied(argv):
        raise PermissionError(13, "Permission denied", "/data/locked.csv")

    assert run_cli(denied, []) == 2
    assert capsys.readouterr().err == ("error: /data/locked.csv: cannot use it: Permission denied (hint: check the "
                                       "permissions of that path)\n")

    def bug(argv):
        raise TypeError("unsupported operand")

    monkeypatch.delenv("MLC_TRACEBACK", raising=False)
    assert run_cli(bug, []) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unexpected TypeError: unsupported operand (this is a bug in mlc" in err


def test_outputs_that_would_destroy_inputs_are_refused_before_any_work(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(ROOT / "examples" / "support_tickets.csv", data / "train.csv")
    for module, output in (("mlc.train", data), ("mlc.train", tmp_path), ("mlc.evaluate", data),
                           ("mlc.evaluate", tmp_path)):
        run = run_module(module, "--data", str(data), "--model", str(tmp_path / "no-such-model"), "--output",
                         str(output), "--overwrite", timeout=120)
        assert (run.returncode == 2 and "would delete the input" in run.stderr) or "is the input" in run.stderr, \
            run.stderr[-2000:]
        assert "no-such-model" not in run.stderr
    (tmp_path / "bundle").mkdir()
    run = run_module("mlc.train", "--data", str(data), "--output", str(tmp_path / "bundle"), timeout=120)
    assert run.returncode == 2 and "exists already (hint: pass --overwrite" in run.stderr
    assert (data / "train.csv").read_bytes() == (ROOT / "examples" / "support_tickets.csv").read_bytes()


def test_evaluate_offers_no_split_options(tmp_path):
    run = run_module("mlc.evaluate", "--help", timeout=120)
    assert "--validation-size" not in run.stdout and "--threshold-holdout" not in run.stdout
    (tmp_path / "c.yaml").write_text("validation_size: 0.3\n")
    run = run_module("mlc.evaluate", "--config", str(tmp_path / "c.yaml"), timeout=120)
    assert run.returncode == 2 and "unknown option(s) validation_size" in run.stderr
    with pytest.raises(ConfigError, match="scores its data as given"):
        EvaluateArgs(data="d.csv", threshold_holdout=0.2)


def test_a_closed_stdout_ends_quietly(capsys):
    def closed(argv):
        raise BrokenPipeError(32, "Broken pipe")

    assert run_cli(closed, []) == 141
    assert capsys.readouterr().err == ""


ARGS_CLASSES = [SummaryArgs, TrainArgs, EvaluateArgs, PredictArgs, DemoBundleArgs, AppArgs]


def _numeric_fields(cls):
    import typing

    from mlc.core.options import _base_type

    hints = typing.get_type_hints(cls)
    return [f for f in dataclasses.fields(cls) if f.init and f.name not in hidden_options(cls)
            and _base_type(hints[f.name])[0] in (int, float)]


@pytest.mark.parametrize("cls", ARGS_CLASSES, ids=lambda cls: cls.__name__)
def test_every_numeric_option_has_a_range(cls):
    unbounded = [f.name for f in _numeric_fields(cls)
                 if not {"at_least", "above", "at_most", "below"} & set(f.metadata)]
    assert not unbounded, f"{cls.__name__}: numeric options without a range: {unbounded}"


@pytest.mark.parametrize("cls", ARGS_CLASSES, ids=lambda cls: cls.__name__)
def test_a_value_out_of_range_is_one_config_error_naming_the_flag(cls):
    for f in _numeric_fields(cls):
        low = f.metadata.get("at_least", f.metadata.get("above"))
        high = f.metadata.get("at_most", f.metadata.get("below"))
        for value in ([low - 1 if "at_least" in f.metadata else low] if low is not None else []) + \
                ([high + 1 if "at_most" in f.metadata else high] if high is not None else []):
            flag = "--" + f.name.replace("_", "-")
            with pytest.raises(ConfigError, match=rf"^{re.escape(flag)} must be .*, got "):
                cls.from_cli("prog", "", [flag, str(value)])


@pytest.mark.parametrize(("module", "args", "message"), [
    ("mlc.evaluate", ["--bootstrap", "-1"], "--bootstrap must be at least 0 and at most 10000, got -1"),
    ("mlc.evaluate", ["--bootstrap", "100000"], "--bootstrap must be at least 0 and at most 10000, got 100000"),
    ("mlc.predict", ["--threads", "-2"], "--threads must be at least 1, got -2"),
    ("mlc.train", ["--max-length", "2"], "--max-length must be at least 4, got 2"),
])
def test_range_errors_come_before_any_work(module, args, message, tmp_path):
    run = run_module(module, "--model", str(tmp_path / "nothing"), "--data", "x.csv", *args, timeout=120) \
        if module != "mlc.predict" else run_module(module, "--model", "m", "--input", "x", *args, timeout=120)
    assert run.returncode == 2 and run.stderr.strip() == f"error: {message}", run.stderr[-500:]


def test_a_max_length_with_no_room_for_text_is_refused():
    from types import SimpleNamespace

    from mlc.model.encoders import check_max_length

    xlmr_like = SimpleNamespace(num_special_tokens_to_add=lambda: 2)  # <s> text </s>
    check_max_length(xlmr_like, 3)
    with pytest.raises(ConfigError, match=r"--max-length 2 leaves no token for the text: this tokenizer adds 2"):
        check_max_length(xlmr_like, 2)
