"""The Gradio demo (a Hugging Face Space entry point).

The demo (per-label scores with a threshold slider per label) arrives with the demo issue, on top of the training
and inference API. Until then this entry point builds and verifies the embedded default model offline, so that
`python app.py` on a fresh machine proves the install, and prints how to inspect the example data.
"""

from __future__ import annotations

import sys


def main() -> int:
    from mlc.cli import run_cli
    from mlc.encoders import resolve_model

    def _run(_argv) -> int:
        path = resolve_model("default")
        print(f"mlc: the embedded default model is ready in {path}")
        print("mlc: the Gradio demo is not built yet; try: python -m mlc.data --data examples/support_tickets.csv")
        return 0

    return run_cli(_run, sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
