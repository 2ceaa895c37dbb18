"""Corrections that become labelled data: each is one row of mlc's JSON lines format (text, language, labels),
with what it corrects beside it (the bundle's id, the thresholds in force, the predicted labels, a note, the time).
A `labels.txt` beside the file names every label the bundle has, so that a row's missing label reads as "not this
label": `python -m mlc.evaluate --data FILE` scores a bundle on the corrections, and `python -m mlc.train
--extra-data FILE` trains on them beside the original data.

Appends are safe under concurrent writers, in this process and in others: each row is one write of a whole line to
a file opened for appending, under an exclusive lock on the file, and fsynced before the append returns. Nothing is
ever rewritten, so a correction once acknowledged stays.

Gradio's flagging (`gr.CSVLogger`, a `FlaggingCallback`) is not used: it writes one CSV column per component value
(the label scores as a serialised dict), not a labelled-data row that mlc reads back; it guards its file with a
thread lock only, not against a second process; and in Blocks it is called by hand like this class, so it would
lend only its two-method interface."""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mlc.core.atomic import atomic_file, fsync_folder
from mlc.core.errors import ConfigError, OutputError

LABELS_FILE = "labels.txt"
MAX_NOTE = 2000


class FeedbackLog:
    """The corrections file of one bundle's labels. `append` writes one correction and returns how many the file
    holds; `count()` reads that number. A file that cannot be written is an OutputError naming it, at creation or at
    the append, and the caller keeps the correction."""

    def __init__(self, path: str | os.PathLike, labels: Sequence[str]) -> None:
        self.path, self.labels = Path(path).expanduser(), list(labels)
        self._lock = threading.Lock()  # one append at a time in this process; the file lock orders processes
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._check_labels_file()
        except OSError as err:
            raise self._unwritable(err) from None

    def _check_labels_file(self) -> None:
        """labels.txt beside the file: written if absent; if present, it must name this bundle's labels."""
        names = self.path.parent / LABELS_FILE
        if not names.exists():
            with atomic_file(names) as handle:
                handle.write("".join(f"{label}\n" for label in self.labels))
            return
        found = [line.strip() for line in names.read_text("utf-8").splitlines() if line.strip()]
        if found != self.labels:
            raise ConfigError(f"{names} names other labels than this bundle's ({', '.join(found[:5])}...), so "
                              f"{self.path} would be read with the wrong labels (hint: keep each bundle's "
                              "corrections in a folder of their own: --feedback OTHER_FOLDER/feedback.jsonl)")

    def row(self, text: str, labels: Sequence[str], language: str | None = None, note: str = "",
            bundle: str | None = None, thresholds: Mapping[str, float] | None = None,
            predicted: Sequence[str] | None = None) -> dict[str, Any]:
        """One correction as a data row, checked: a text, labels among the bundle's, a note of text."""
        if not isinstance(text, str) or not text.strip():
            raise ConfigError("the correction has no text: classify a text first, then mark its labels")
        if isinstance(labels, str) or not all(isinstance(x, str) for x in labels):
            raise ConfigError("the labels of a correction are a list of label names")
        unknown = [x for x in labels if x not in self.labels]
        if unknown:
            raise ConfigError(f"no label {unknown[0]!r} in this bundle (its labels: {', '.join(self.labels)})")
        if not isinstance(note, str) or len(note) > MAX_NOTE:
            raise ConfigError(f"the note must be text of at most {MAX_NOTE} characters")
        chosen = [x for x in self.labels if x in set(labels)]
        return {"text": text, "language": language, "labels": chosen, "predicted": list(predicted or []),
                "bundle": bundle, "thresholds": dict(thresholds or {}), "note": note,
                "time": datetime.now(timezone.utc).isoformat(timespec="seconds")}

    def append(self, text: str, labels: Sequence[str], **details: Any) -> int:
        """Append one correction (`details`: language, note, bundle, thresholds, predicted; see `row`); returns how
        many corrections the file holds now."""
        line = (json.dumps(self.row(text, labels, **details), ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            try:
                return self._append(line)
            except OSError as err:
                raise self._unwritable(err) from None

    def _append(self, line: bytes) -> int:
        created = not self.path.exists()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            size = os.fstat(fd).st_size
            if size and _last_byte(self.path) != b"\n":  # a line cut short by someone else: ours starts anew
                line = b"\n" + line
            os.write(fd, line)
            os.fsync(fd)
            count = self.count()
        finally:
            os.close(fd)  # releases the lock
        if created:
            fsync_folder(self.path.parent)
        return count

    def count(self) -> int:
        """Corrections in the file (its complete lines)."""
        if not self.path.is_file():
            return 0
        count = 0
        with open(self.path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                count += block.count(b"\n")
        return count

    def _unwritable(self, err: OSError) -> OutputError:
        return OutputError(f"{self.path}: the corrections file cannot be written ({err.strerror or err}); the "
                           "correction was not saved (hint: choose a writable place with --feedback PATH)")


def _last_byte(path: Path) -> bytes:
    with open(path, "rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1)
