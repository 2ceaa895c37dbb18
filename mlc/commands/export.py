"""`python -m mlc.export`: write a bundle's model as an ONNX graph (and its int8 quantisation) into the bundle."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from mlc.core.errors import ConfigError
from mlc.core.options import Options, option

FORMATS = ("onnx",)
QUANTIZATIONS = ("int8", "none")


@dataclass
class ExportArgs(Options):
    OPTIONS_TITLE: ClassVar[str] = "export"

    model: str | None = option(None, "The bundle folder to export (written by python -m mlc.train).")
    format: str = option("onnx", "The format: onnx (encoder, pooling and head as one graph, BUNDLE/onnx/model.onnx).",
                         choices=FORMATS)
    quantize: str = option("int8", "int8: also write BUNDLE/onnx/model.int8.onnx (ONNX Runtime's dynamic "
                                   "quantisation), kept when it leaves the label set of 99% of the check texts "
                                   "unchanged (needs --check-texts with 500 texts or more); none.",
                           choices=QUANTIZATIONS)
    check_texts: str | None = option(None, "Texts to check the graphs on, the bundle's own kind (a .txt file, one per "
                                           "line, or a CSV/TSV/JSONL with a text column; the first 1,000; at least 500 for "
                                           "int8); with --quantize none, default: a few built-in texts in several "
                                           "scripts.")


def main(argv: Sequence[str] | None = None) -> int:
    args = ExportArgs.from_cli(
        "python -m mlc.export", "Export a bundle's model for ONNX Runtime: the fp32 graph, checked to score within "
        "1e-4 of PyTorch, and its int8 quantisation, kept where it leaves the label set of 99% of the "
        "check texts unchanged at the bundle's thresholds; both go into BUNDLE/onnx/ with a record of how they were made (export.json). mlc.predict, "
        "mlc.evaluate and the demo then use the int8 graph on CPUs (--backend). Exit code 2 on bad input.", argv)
    if not args.model:
        raise ConfigError("no bundle given (hint: --model BUNDLE_DIR)")
    from mlc.exporters.onnx import MAX_CHECK_TEXTS, check_int8_texts, export_onnx

    texts = None
    if args.check_texts:
        from mlc.data.args import InputArgs
        from mlc.inference.files import open_inputs

        first = next(iter(open_inputs(args.check_texts, InputArgs(), chunk_rows=MAX_CHECK_TEXTS)), None)
        texts = [text for text in first.texts if text.strip()] if first else []
        if not texts:
            raise ConfigError(f"--check-texts {args.check_texts}: has no texts (hint: one text per line, or a table "
                              "with a text column)")
    if args.quantize == "int8":
        check_int8_texts(texts, f"--check-texts {args.check_texts}" if args.check_texts else "no --check-texts")
    record = export_onnx(args.model, quantize=args.quantize == "int8", texts=texts,
                         source=f"texts of {args.check_texts}")
    print(json.dumps(record, indent=2))
    return 0

