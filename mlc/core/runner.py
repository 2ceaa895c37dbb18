"""Running a command: an `MlcError` or `OSError` becomes one line on stderr (exit 2), never a traceback."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence

from mlc.core.errors import MlcError, os_error_message


def run_cli(main: Callable[[Sequence[str] | None], int | None], argv: Sequence[str] | None = None) -> int:
    """Run a CLI's main. An `MlcError` or `OSError` becomes one line on stderr and exit code 2, never a traceback;
    SIGTERM unwinds like Ctrl-C, so that temporary files are removed. An unexpected exception is a bug in mlc: one
    line saying so, exit code 1 (MLC_TRACEBACK=1 prints the traceback)."""
    _unwind_on_sigterm()
    try:
        code = main(argv)
    except MlcError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except BrokenPipeError:  # the reader of stdout went away (e.g. `| head`): nothing left to say to it
        with contextlib.suppress(OSError, ValueError):  # so that flushing stdout at exit cannot fail again
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as err:
        print(f"error: {os_error_message(err)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as err:
        if os.environ.get("MLC_TRACEBACK"):
            raise
        print(f"error: unexpected {type(err).__name__}: {err} (this is a bug in mlc; rerun with MLC_TRACEBACK=1 "
              "for the traceback and report it)", file=sys.stderr)
        return 1
    return int(code or 0)


def _unwind_on_sigterm() -> None:
    """SIGTERM (kill, a scheduler's stop) raises KeyboardInterrupt, so `finally` blocks remove temporary files."""
    if threading.current_thread() is not threading.main_thread():
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
