"""mlc.core.options: one options mechanism for every command: dataclass fields are flags, config keys and
environment variables, checked alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pytest

from mlc.core.errors import ConfigError
from mlc.core.options import Options, option
from mlc.demo.args import AppArgs
from mlc.evaluation.args import EvaluateArgs


@dataclass
class Base(Options):
    OPTIONS_TITLE: ClassVar[str] = "base"
    size: int = option(3, "How many.")


@dataclass
class Verb(Base):
    OPTIONS_TITLE: ClassVar[str] = "verb"
    HIDDEN_OPTIONS: ClassVar[tuple[str, ...]] = ("secret",)
    name: str | None = option(None, "A name.", env="MLC_TEST_NAME")
    fast: bool = option(False, "Go fast.")
    secret: float = option(0.0, "Not offered.")


def test_flags_override_the_config_file_which_overrides_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MLC_TEST_NAME", "from-env")
    assert Verb.from_cli("verb", "", []).name == "from-env"
    (tmp_path / "c.yaml").write_text("name: from-file\nsize: 5\n")
    assert Verb.from_cli("verb", "", ["--config", str(tmp_path / "c.yaml")]).name == "from-file"
    args = Verb.from_cli("verb", "", ["--config", str(tmp_path / "c.yaml"), "--name", "flag", "--fast"])
    assert (args.name, args.size, args.fast) == ("flag", 5, True)
    assert Verb.option_groups() == [(Base, "base"), (Verb, "verb")]


def test_hidden_options_are_neither_flags_nor_config_keys(tmp_path, capsys):
    with pytest.raises(SystemExit):
        Verb.from_cli("verb", "", ["--secret", "1"])
    assert "unrecognized arguments: --secret" in capsys.readouterr().err
    (tmp_path / "c.json").write_text('{"secret": 1}')
    with pytest.raises(ConfigError, match=r"unknown option\(s\) secret"):
        Verb.from_cli("verb", "", ["--config", str(tmp_path / "c.json")])
    assert "validation_size" in EvaluateArgs.HIDDEN_OPTIONS


def test_environment_values_are_checked_like_flags(monkeypatch):
    monkeypatch.setenv("GRADIO_SERVER_PORT", "eighty")
    with pytest.raises(ConfigError, match="environment variable GRADIO_SERVER_PORT: expected int, got 'eighty'"):
        AppArgs.from_cli("app", "", [])
    monkeypatch.setenv("GRADIO_SERVER_PORT", "7861")
    monkeypatch.setenv("MLC_MODEL", "/some/bundle")
    args = AppArgs.from_cli("app", "", ["--host", "0.0.0.0"]).validate()
    assert (args.port, args.model, args.host) == (7861, "/some/bundle", "0.0.0.0")
    with pytest.raises(ConfigError, match=r"--port must be at least 1 and at most 65535, got 0"):
        AppArgs(port=0).validate()
