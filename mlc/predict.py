"""`python -m mlc.predict`: see mlc.commands.predict (`python -m mlc.predict --help` lists every option)."""

import sys

from mlc.commands.predict import main
from mlc.core.runner import run_cli

if __name__ == "__main__":
    sys.exit(run_cli(main))
