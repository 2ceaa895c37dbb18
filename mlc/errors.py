"""Exception types: every error a user can cause has its own type and a one-line message with a hint."""

from __future__ import annotations


class MlcError(Exception):
    """Base class of the errors mlc raises on purpose. CLIs print `str(err)` and exit with code 2."""

    exit_code = 2


class DataError(MlcError):
    """Input data that cannot be read as asked: names the file, line or row, column, and what to do."""

    def __init__(
        self,
        problem: str,
        *,
        path: str | None = None,
        line: int | str | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.problem, self.path, self.line, self.column, self.hint = problem, path, line, column, hint
        where = []
        if path is not None:
            where.append(str(path))
        if line is not None:
            where.append(f"line {line}" if isinstance(line, int) else str(line))
        if column is not None:
            where.append(f"column {column!r}")
        message = (": ".join([", ".join(where), problem]) if where else problem)
        if hint:
            message += f" (hint: {hint})"
        super().__init__(message)


class MissingFileError(DataError):
    """A path that does not exist."""


class UnknownFormatError(DataError):
    """A file whose format cannot be recognised."""


class ColumnError(DataError):
    """A text, label, id or language column that is missing or ambiguous."""


class LabelValueError(DataError):
    """A label value that is neither 0/1 nor a known label name or id."""


class EmptyTextError(DataError):
    """A row whose text is empty or missing."""


class DecodeError(DataError):
    """Bytes that do not decode with the chosen encoding."""


class DuplicateIdError(DataError):
    """Two rows with the same id."""


class ModelError(MlcError):
    """A model that cannot be found, built, verified or loaded."""


class ConfigError(MlcError):
    """Options that contradict each other or have impossible values."""
