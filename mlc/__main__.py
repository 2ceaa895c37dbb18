"""`mlc VERB ...` (the console script) and `python -m mlc VERB ...`: one entry point for every command."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

VERBS = {
    "data": ("mlc.commands.data", "load a data set and print its summary"),
    "train": ("mlc.commands.train", "fine-tune an encoder and write a bundle"),
    "evaluate": ("mlc.commands.evaluate", "score a bundle on labelled data"),
    "predict": ("mlc.commands.predict", "label texts with a bundle"),
    "export": ("mlc.commands.export", "write a bundle's model as ONNX (fp32 and int8) for ONNX Runtime"),
    "demo": ("mlc.demo.__main__", "build the demo bundle and print its folder"),
    "space": ("mlc.commands.space", "write a Hugging Face Space folder that serves a bundle"),
}


def usage() -> str:
    lines = ["usage: mlc VERB [options]   (mlc VERB --help for its options)", "", "verbs:"]
    lines += [f"  {verb:<10}{what}" for verb, (_, what) in VERBS.items()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    from mlc.core.runner import run_cli

    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(usage())
        return 0 if args else 2
    if args[0] not in VERBS:
        print(f"error: unknown verb {args[0]!r}\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(VERBS[args[0]][0])
    return run_cli(module.main, args[1:])


if __name__ == "__main__":
    sys.exit(main())
