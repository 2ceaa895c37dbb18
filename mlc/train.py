"""`python -m mlc.train`: see mlc.commands.train (`python -m mlc.train --help` lists every option)."""

import sys

from mlc.commands.train import main
from mlc.core.runner import run_cli

if __name__ == "__main__":
    sys.exit(run_cli(main))
