"""`python -m mlc.export`: see mlc.commands.export (`python -m mlc.export --help` lists every option)."""

import sys

from mlc.commands.export import main
from mlc.core.runner import run_cli

if __name__ == "__main__":
    sys.exit(run_cli(main))
