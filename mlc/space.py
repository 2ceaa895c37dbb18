"""`python -m mlc.space`: see mlc.commands.space (`python -m mlc.space --help` lists every option)."""

import sys

from mlc.commands.space import main
from mlc.core.runner import run_cli

if __name__ == "__main__":
    sys.exit(run_cli(main))
