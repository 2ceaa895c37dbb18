"""The one options mechanism: every command's options are a dataclass on `Options`, and the same dataclass is
the Python API's keyword arguments, a config file's keys (YAML or JSON) and the command line's flags, with one help
text each. A field may also take its default from an environment variable (`option(..., env="MLC_MODEL")`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from mlc.core.errors import ConfigError, os_error_message

T = TypeVar("T", bound="Options")


def option(default: Any, help: str, **extra: Any) -> Any:
    """A dataclass field with its help text; `choices=` limits its values, `env=` names an environment variable
    that sets it when neither a flag nor a config file does, and `at_least=`, `above=`, `at_most=`, `below=` bound a
    number (checked by `check_ranges` before any work, wherever the value came from)."""
    return dataclasses.field(default=default, metadata={"help": help, **extra})


_BOUNDS = {"at_least": (lambda v, b: v >= b, "at least {}"), "above": (lambda v, b: v > b, "more than {}"),
           "at_most": (lambda v, b: v <= b, "at most {}"), "below": (lambda v, b: v < b, "less than {}")}


def check_ranges(options: Any) -> None:
    """Every bounded numeric field of `options` (a dataclass) within its bounds, else one ConfigError naming the
    flag, the bounds and the value. None (an option left to its automatic value) is not checked."""
    for f in dataclasses.fields(options):
        value = getattr(options, f.name, None)
        bounds = [(name, f.metadata[name]) for name in _BOUNDS if name in f.metadata]
        if value is None or not bounds or isinstance(value, bool):
            continue
        if not isinstance(value, (int, float)) or value != value or \
                not all(_BOUNDS[name][0](value, bound) for name, bound in bounds):
            wanted = " and ".join(_BOUNDS[name][1].format(bound) for name, bound in bounds)
            raise ConfigError(f"--{f.name.replace('_', '-')} must be {wanted}, got {value!r}")


@dataclasses.dataclass
class Options:
    """Base of every command's options. A subclass names its option group in `OPTIONS_TITLE`; `HIDDEN_OPTIONS`
    lists inherited fields that the command does not offer (neither flags nor config keys)."""

    OPTIONS_TITLE: ClassVar[str] = "options"
    HIDDEN_OPTIONS: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def option_groups(cls) -> list[tuple[type, str]]:
        """(dataclass, title) per class of the hierarchy that titles its own options, most basic first."""
        return [(k, vars(k)["OPTIONS_TITLE"]) for k in reversed(cls.__mro__) if "OPTIONS_TITLE" in vars(k)
                and k is not Options]

    @classmethod
    def from_cli(cls: type[T], prog: str, description: str, argv: Sequence[str] | None = None) -> T:
        """Parse `argv` (`--config FILE` and one flag per field; flags override the file)."""
        return parse_dataclass_cli(cls, prog, description, cls.option_groups(), argv)


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
    taken = {action.dest for action in parser._actions} | set(getattr(parser, "hidden_options", ()))
    for f in dataclasses.fields(cls):
        if not f.init or f.metadata.get("cli") is False or f.name in taken:
            continue
        kind, _ = _base_type(hints[f.name])
        default = f.default if f.default is not dataclasses.MISSING else None
        flag = "--" + f.name.replace("_", "-")
        help_text = f.metadata.get("help", "")
        if default not in (None, "") and kind is not bool:
            help_text += f" [default: {default}]"
        if "env" in f.metadata:
            help_text += f" [env {f.metadata['env']}]"
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
    try:
        text = path.read_text("utf-8")
        if path.suffix.lower() == ".json":
            values = json.loads(text)
        else:
            import yaml

            values = yaml.safe_load(text)
    except OSError as err:
        raise ConfigError(os_error_message(err, "cannot read")) from None
    except Exception as err:  # json, yaml and UnicodeDecodeError
        raise ConfigError(f"{path}: cannot parse the config file ({err})".replace("\n", " ")) from None
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: a config file must map option names to values")
    return {str(k).replace("-", "_"): v for k, v in values.items()}


def hidden_options(cls: type) -> tuple[str, ...]:
    """Fields a verb inherits but does not offer (e.g. evaluation never splits its data): neither flags nor
    config-file keys, so that nothing is accepted and then ignored."""
    return tuple(getattr(cls, "HIDDEN_OPTIONS", ()))


def parse_dataclass_cli(cls: type[T], prog: str, description: str, groups: Sequence[tuple[type, str]],
                        argv: Sequence[str] | None = None) -> T:
    """Parse `argv` into `cls`: `--config FILE` plus one option group per (dataclass, title), flags over file."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--config", help="YAML or JSON file of the options below; flags override it.")
    parser.hidden_options = hidden_options(cls)
    for group_cls, title in groups:
        add_dataclass_arguments(parser, group_cls, title)
    namespace = parser.parse_args(argv)
    return build_args(cls, namespace, namespace.__dict__.pop("config", None))


def build_args(cls: type[T], namespace: argparse.Namespace, config: str | None = None) -> T:
    """An instance of `cls` from a config file (if any) overridden by the flags given on the command line."""
    values: dict[str, Any] = load_config_file(config) if config else {}
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init and f.name not in hidden_options(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ConfigError(f"{config}: unknown option(s) {', '.join(unknown)}")
    hints = typing.get_type_hints(cls)
    values = {k: _config_value(config, fields[k], hints[k], v) for k, v in values.items()}
    for name, f in fields.items():  # an environment variable stands in for an option given nowhere else
        variable = f.metadata.get("env")
        if variable and os.environ.get(variable) and name not in values:
            values[name] = _config_value(f"environment variable {variable}", f, hints[name], os.environ[variable])
    values.update({k: v for k, v in vars(namespace).items() if k != "config"})
    parsed = cls(**{k: v for k, v in values.items() if k in fields})
    check_ranges(parsed)
    return parsed


def _config_value(config: str | None, f: dataclasses.Field, annotation: Any, value: Any) -> Any:
    """A config file's value checked against the field's type (and choices), as a flag's would be."""
    kind, optional = _base_type(annotation)
    where = config if config and config.startswith("environment") else f"{config}: option {f.name}"
    if value is None:
        if optional:
            return None
        raise ConfigError(f"{where} needs a value")
    try:
        if kind is bool:
            value = value if isinstance(value, bool) else _parse_bool(str(value))
        elif typing.get_origin(kind) is list:
            value = _parse_list(value) if isinstance(value, str) else [str(item) for item in value]
        elif kind is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            value = int(value)
        elif kind is float:
            if isinstance(value, bool):
                raise ValueError
            value = float(value)
        elif kind is str:
            if isinstance(value, (dict, list)):
                raise ValueError
            value = str(value)
    except (ValueError, TypeError, argparse.ArgumentTypeError):
        name = getattr(kind, "__name__", str(kind))
        raise ConfigError(f"{where}: expected {name}, got {value!r}") from None
    if "choices" in f.metadata and value not in f.metadata["choices"]:
        raise ConfigError(f"{where}: {value!r} is not one of {', '.join(map(str, f.metadata['choices']))}")
    return value
