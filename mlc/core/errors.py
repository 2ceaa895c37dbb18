"""Exception types: every error a user can cause has its own type and a one-line message with a hint."""

from __future__ import annotations

import errno


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


class MissingLabelError(LabelValueError):
    """Label cells that are blank, NA or -1 where a 0/1 value is expected."""


class QuotingError(DataError):
    """Quote characters that do not delimit fields: rows would merge or fields would lose their quotes."""


class OutputError(MlcError):
    """An output path that would replace an input or an existing file, or that cannot be written."""


class ModelError(MlcError):
    """A model that cannot be found, built, verified or loaded."""


class ConfigError(MlcError):
    """Options that contradict each other or have impossible values."""


_OS_HINTS = {
    errno.EACCES: "check the permissions of that path",
    errno.EPERM: "check the permissions of that path",
    errno.ENOENT: "check the path",
    errno.ENOTDIR: "a part of that path is a file, not a folder",
    errno.EISDIR: "that path is a folder; name a file",
    errno.ENOSPC: "free some disk space",
    errno.EROFS: "that file system is read-only; write somewhere else",
    errno.EEXIST: "that path exists already",
    errno.ENAMETOOLONG: "use a shorter name",
}


class FileAccessError(DataError):
    """A file or folder that cannot be read or written (permissions, a folder where a file was expected, a full
    disk): the operating system's reason in one line, with the path and a hint."""

    def __init__(self, error: OSError, action: str = "cannot use") -> None:
        super().__init__(f"{action} it: {error.strerror or type(error).__name__}",
                         path=error.filename if error.filename is not None else "?",
                         hint=_OS_HINTS.get(error.errno or -1))


def os_error_message(error: OSError, action: str = "cannot use") -> str:
    """One line for an `OSError`: the path, what went wrong and what to do."""
    return str(FileAccessError(error, action))
