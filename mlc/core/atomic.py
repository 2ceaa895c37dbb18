"""Safe writes. A file or folder is built under a temporary name beside its target and renamed into place, so
readers see the old complete target or the new complete one, never a half-written one. Temporary names carry the
writer's process id (`.NAME.tmp-PID-XXXX`), so a temporary left by a killed writer is recognised and removed at the
next write to the same target. Every file is fsynced before its rename and its folder after, so a rename that
survived a lost machine names complete bytes. `output_lock` keeps a second run off an output another run is writing.
`check_output_path` refuses, before any work is done, an output that would replace an input or an existing file."""

from __future__ import annotations

import errno
import fcntl
import glob
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from mlc.core.errors import OutputError

_TMP, _OLD, _LOCK = "tmp", "old", "lock"


def fsync_folder(folder: str | os.PathLike) -> None:
    """Make the names in `folder` (a rename, a new file) durable."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(folder: Path) -> None:
    """fsync every file under `folder`, then every folder, deepest first."""
    folders = []
    for root, _, files in os.walk(folder):
        folders.append(root)
        for name in files:
            fd = os.open(os.path.join(root, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    for root in reversed(folders):
        fsync_folder(root)


def durable_replace(source: str | os.PathLike, target: str | os.PathLike) -> None:
    """os.replace, then fsync of the target's folder (the caller has fsynced what `source` holds)."""
    os.replace(source, target)
    fsync_folder(Path(target).parent)


def _prefix(target: Path, kind: str) -> str:
    return f".{target.name}.{kind}-{os.getpid()}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def _writer_pid(name: str, target: Path, kind: str) -> int | None:
    """The pid in a temporary name of `target` (None: not one of its temporaries, or one without a pid)."""
    head = f".{target.name}.{kind}-"
    if not name.startswith(head):
        return None
    pid = name[len(head):].split("-", 1)[0]
    return int(pid) if pid.isdigit() else 0


def remove_stale_temporaries(target: str | os.PathLike) -> list[Path]:
    """Remove the temporaries of `target` left by writers that no longer run (killed mid-write); return them. If
    the kill came while an old folder was moved aside, that old complete folder is put back first."""
    target = Path(target)
    if not target.parent.is_dir():
        return []
    removed = []
    for kind in (_OLD, _TMP):  # an old folder moved aside is restored before anything is deleted
        for path in sorted(target.parent.glob(f".{glob.escape(target.name)}.{kind}-*")):
            pid = _writer_pid(path.name, target, kind)
            if pid is None or (pid and _alive(pid)):
                continue
            if kind == _OLD and (path / target.name).exists() and not target.exists():
                os.replace(path / target.name, target)
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
    return removed


@contextmanager
def atomic_folder(target: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty temporary folder; when the block ends without an exception it replaces `target` (an old
    `target` is moved aside first, then deleted). On an exception the temporary folder is removed."""
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "Not a directory", str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target)
    tmp = Path(tempfile.mkdtemp(prefix=_prefix(target, _TMP), dir=target.parent))
    os.chmod(tmp, 0o755)
    try:
        yield tmp
        fsync_tree(tmp)
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=_prefix(target, _OLD), dir=target.parent))
            os.replace(target, old / target.name)
            durable_replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            durable_replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def atomic_file(target: str | os.PathLike, mode: str = "w", **open_kwargs) -> Iterator:
    """Open a temporary file beside `target` for writing; it replaces `target` when the block ends without an
    exception, and is deleted otherwise."""
    target = Path(target)
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, "Is a directory", str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target)
    fd, name = tempfile.mkstemp(prefix=_prefix(target, _TMP), dir=target.parent)
    try:
        with os.fdopen(fd, mode, **open_kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(name, 0o644)
        durable_replace(name, target)
    finally:
        if os.path.exists(name):
            os.unlink(name)


@contextmanager
def spooled(source: IO[bytes], target: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """`source` (standard input) copied into a temporary file beside `target`, removed when the block ends (and, if
    the process is killed, at the next write to `target`)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target)
    fd, name = tempfile.mkstemp(prefix=_prefix(target, _TMP), suffix=suffix, dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            shutil.copyfileobj(source, handle, 1 << 20)
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


@contextmanager
def output_lock(target: str | os.PathLike) -> Iterator[None]:
    """Hold `.NAME.lock` beside `target` (an exclusive flock, released by the kernel if this process dies) while a
    run writes `target`; a second run on the same output is refused at once with the first one's pid."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    path = target.with_name(f".{target.name}.{_LOCK}")
    while True:
        handle = open(path, "a+")  # noqa: SIM115 (held until the block ends)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise OutputError(f"{target}: another mlc run (pid {holder}) is writing this output now (hint: wait for "
                              "it to finish, or choose another output path)") from None
        if path.exists() and os.path.samestat(os.fstat(handle.fileno()), os.stat(path)):
            break
        handle.close()  # the previous holder removed the file between our open and our lock: lock the new one
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        path.unlink(missing_ok=True)
        handle.close()


def _resolved(path: str | os.PathLike) -> Path:
    return Path(path).expanduser().resolve()


def check_output_path(output: str | os.PathLike, *, inputs: Iterable[str | os.PathLike | None] = (),
                      overwrite: bool = False, folder: bool = False, option: str = "--output") -> Path:
    """Refuse, before any work, an output that would destroy data: an input itself or a folder holding one (always),
    an existing file or folder (unless `overwrite`), a folder where a file goes or the reverse, or a place that
    cannot be written. Returns the output as a Path."""
    path = Path(output).expanduser()
    target = _resolved(path)
    for source in inputs:
        if source is None or str(source) in ("", "-", "default"):
            continue
        source_path = _resolved(source)
        if target == source_path:
            raise OutputError(f"{option} {output}: is the input {source}; mlc never writes over its input "
                              "(hint: choose another output path)")
        if target in source_path.parents:
            raise OutputError(f"{option} {output}: is a folder that holds the input {source}; writing it would "
                              "delete the input (hint: choose another output path)")
        if source_path.is_dir() and source_path in target.parents:
            raise OutputError(f"{option} {output}: is inside the input folder {source}; mlc writes nothing into its "
                              "inputs (hint: choose a path outside it)")
        if target.exists() and source_path.exists() and os.path.samefile(target, source_path):
            raise OutputError(f"{option} {output}: is the input {source} under another name (a link); mlc never "
                              "writes over its input (hint: choose another output path)")
    if target.exists():
        if folder and not target.is_dir():
            raise OutputError(f"{option} {output}: is a file; this output is a folder (hint: choose another path)")
        if not folder and target.is_dir():
            raise OutputError(f"{option} {output}: is a folder; name a file inside it, e.g. {path / 'predictions.csv'}")
        if not overwrite:
            raise OutputError(f"{option} {output}: exists already (hint: pass --overwrite to replace it, or choose "
                              "another path)")
    parent = target.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"{option} {output}: {parent} is a file, so no folder can be made there (hint: choose "
                          "another path)")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{option} {output}: cannot create files in {parent}: permission denied (hint: choose a "
                          "folder you can write to)")
    return path
