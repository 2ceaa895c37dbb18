"""`python -m mlc.data`: see mlc.commands.data (`python -m mlc.data --help` lists every option)."""

import sys

from mlc.commands.data import main
from mlc.core.runner import run_cli

if __name__ == "__main__":
    sys.exit(run_cli(main))
