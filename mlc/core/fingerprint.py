"""What a file held when it was read: size, modification time and a digest of its bytes, so that a rewrite of the
same size within the same second is still seen (mlc reads some inputs more than once, and resumes jobs)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mlc.core.errors import DataError, FileAccessError


def file_digest(path: str | os.PathLike) -> str:
    """blake2b of the file's bytes (hex, 32 characters)."""
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, lambda: hashlib.blake2b(digest_size=16)).hexdigest()
    except OSError as err:
        raise FileAccessError(err, "cannot read") from None


def file_stamp(path: str | os.PathLike) -> tuple[int, int, str]:
    """(size, modification time in ns, digest of the bytes)."""
    try:
        status = os.stat(path)
    except OSError as err:
        raise FileAccessError(err, "cannot read") from None
    return status.st_size, status.st_mtime_ns, file_digest(path)


def changed_error(path: str | os.PathLike) -> DataError:
    """What a reader says when a file it reads in several passes is not the one it started with."""
    return DataError("the file changed while it was being read", path=str(path),
                     hint="read a copy that nothing writes to")


def check_unchanged(path: str | os.PathLike, stamp: tuple[int, int, str] | None) -> None:
    """Raise `changed_error` unless `path` still holds what `file_stamp` found (None: nothing to compare)."""
    if stamp is not None and file_stamp(path) != stamp:
        raise changed_error(path)


def files_digest(paths: Iterable[Path], root: Path) -> dict[str, str]:
    """{path relative to root: digest} of each file."""
    return {str(path.relative_to(root)): file_digest(path) for path in sorted(paths)}


def inputs_digest(inputs: dict[str, Any]) -> dict[str, dict[str, str] | None]:
    """Per named input (a file or a folder): the digest of each file it is or holds (None: not a local path, e.g. a
    hub data set, or not a path at all, e.g. a list of label names)."""
    found: dict[str, dict[str, str] | None] = {}
    for name, value in inputs.items():
        path = Path(value) if value and isinstance(value, str | os.PathLike) else None
        if path is None or not path.exists():
            found[name] = None
            continue
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        found[name] = files_digest(files, path.parent if path.is_file() else path)
    return found
