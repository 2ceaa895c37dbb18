"""Shared CLI plumbing: argparse options generated from argument dataclasses, config files, and clean errors.

Every `python -m mlc.<verb>` builds its parser from the same dataclasses the Python API takes, so a flag, a
config-file key and a keyword argument are the same thing with the same help text.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import types
import typing
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from .errors import ConfigError, MlcError

T = TypeVar("T")


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def _parse_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _base_type(annotation: Any) -> tuple[Any, bool]:
    """(the non-None type, whether None is allowed) of a field annotation."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0], len(args) < len(typing.get_args(annotation))
    return annotation, False


def add_dataclass_arguments(parser: argparse.ArgumentParser, cls: type, title: str | None = None) -> None:
    """One `--flag-name` per field, typed from its annotation, with the field's help and choices. Fields that
    already have a flag (from an earlier group) are skipped, so a subclass's options can follow its base's."""
    group = parser.add_argument_group(title) if title else parser
    hints = typing.get_type_hints(cls)
    taken = {action.dest for action in parser._actions}
    for f in dataclasses.fields(cls):
        if not f.init or f.metadata.get("cli") is False or f.name in taken:
            continue
        kind, _ = _base_type(hints[f.name])
        default = f.default if f.default is not dataclasses.MISSING else None
        flag = "--" + f.name.replace("_", "-")
        help_text = f.metadata.get("help", "")
        if default not in (None, "") and kind is not bool:
            help_text += f" [default: {default}]"
        kwargs: dict[str, Any] = {"dest": f.name, "default": argparse.SUPPRESS}
        if kind is bool:
            kwargs.update(type=_parse_bool, nargs="?", const=True, metavar="BOOL")
            help_text += f" [default: {'auto' if default is None else str(default).lower()}]"
        elif typing.get_origin(kind) is list:
            kwargs.update(type=_parse_list, metavar="A,B,...")
        elif kind in (int, float):
            kwargs["type"] = kind
        if "choices" in f.metadata:
            kwargs["choices"] = f.metadata["choices"]
        kwargs["help"] = help_text.replace("%", "%%")  # argparse %-formats help texts ("95%" broke --help)
        group.add_argument(flag, **kwargs)


def load_config_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML or JSON config file of dataclass fields (keys may use - or _)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    text = path.read_text("utf-8")
    try:
        if path.suffix.lower() == ".json":
            values = json.loads(text)
        else:
            import yaml

            values = yaml.safe_load(text)
    except Exception as err:
        raise ConfigError(f"{path}: cannot parse the config file ({err})") from err
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: a config file must map option names to values")
    return {str(k).replace("-", "_"): v for k, v in values.items()}


def parse_dataclass_cli(cls: type[T], prog: str, description: str, groups: Sequence[tuple[type, str]],
                        argv: Sequence[str] | None = None) -> T:
    """Parse `argv` into `cls`: `--config FILE` plus one option group per (dataclass, title), flags over file."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--config", help="YAML or JSON file of the options below; flags override it.")
    for group_cls, title in groups:
        add_dataclass_arguments(parser, group_cls, title)
    namespace = parser.parse_args(argv)
    return build_args(cls, namespace, namespace.__dict__.pop("config", None))


def build_args(cls: type[T], namespace: argparse.Namespace, config: str | None = None) -> T:
    """An instance of `cls` from a config file (if any) overridden by the flags given on the command line."""
    values: dict[str, Any] = load_config_file(config) if config else {}
    values.update({k: v for k, v in vars(namespace).items() if k != "config"})
    names = {f.name for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(values) - names)
    if unknown:
        raise ConfigError(f"{config}: unknown option(s) {', '.join(unknown)}")
    return cls(**{k: v for k, v in values.items() if k in names})


def run_cli(main: Callable[[Sequence[str] | None], int | None], argv: Sequence[str] | None = None) -> int:
    """Run a CLI's main; an `MlcError` becomes one line on stderr and its exit code (2), never a traceback."""
    try:
        code = main(argv)
    except MlcError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return int(code or 0)
