"""A progress bar in rows for long jobs: rows done, rows per second and the time left, updated after each batch, and
across processes when the rows finished by the others can be counted."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from mlc.model.scoring import Progress


class RowProgress:
    """`total` rows, `initial` of them done before (a resumed job). `finished_elsewhere()`, when given, counts the
    rows finished by every process (a few times a second at most); without it, this process's finished rows count."""

    def __init__(self, total: int, initial: int = 0, show: bool = True,
                 finished_elsewhere: Callable[[], int] | None = None, desc: str = "predict") -> None:
        self.bar, self.base, self.own, self.checked = None, initial, 0.0, 0.0
        self.finished_elsewhere = finished_elsewhere
        if show:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, initial=initial, desc=desc, unit="row", unit_scale=True,
                            file=sys.stderr, dynamic_ncols=True, smoothing=0.05)

    def __enter__(self) -> RowProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()

    def within(self, rows: int) -> Progress:
        """The scoring loop's callback while a chunk of `rows` rows is scored (sequences done, sequences)."""
        def update(done: int, total: int) -> None:
            self.own = rows * done / max(total, 1)
            self._show()
        return update if self.bar is not None else False

    def finished(self, rows: int) -> None:
        self.own = 0.0
        self.base += rows
        self._show(force=True)

    def _show(self, force: bool = False) -> None:
        if self.bar is None:
            return
        if self.finished_elsewhere is not None and (force or time.monotonic() - self.checked > 0.5):
            self.checked = time.monotonic()
            self.base = self.finished_elsewhere()
        self.bar.update(max(0, int(self.base + self.own) - self.bar.n))
