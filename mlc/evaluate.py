"""`python -m mlc.evaluate`: see mlc.commands.evaluate (`python -m mlc.evaluate --help` lists every option)."""

import sys

from mlc.commands.evaluate import main
from mlc.core.runner import run_cli

if __name__ == "__main__":
    sys.exit(run_cli(main))
