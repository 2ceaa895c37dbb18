"""A bundle's model as an ONNX Runtime graph (written by mlc.exporters.onnx): encoder, pooling and head, token ids
in, logits out."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mlc.core.cpus import usable_cpus
from mlc.core.errors import ConfigError, ModelError

ONNX_DIR = "onnx"
FP32_FILE = "model.onnx"
INT8_FILE = "model.int8.onnx"
RECORD_FILE = "export.json"
INPUTS = ("input_ids", "attention_mask")


def onnx_file(bundle: Path, kind: str) -> Path:
    """The graph of `kind` (fp32 or int8) in a bundle."""
    return Path(bundle) / ONNX_DIR / (INT8_FILE if kind == "int8" else FP32_FILE)


class OnnxModel:
    """An inference session over one graph; `logits(batch)` takes a padded batch of numpy arrays."""

    def __init__(self, path: Path, threads: int | None = None) -> None:
        try:
            import onnxruntime as ort
        except ImportError:
            raise ConfigError("the onnx backend needs onnxruntime (hint: pip install onnxruntime, or --backend "
                              "torch)") from None
        if not path.is_file():
            raise ModelError(f"{path}: no such ONNX graph (hint: python -m mlc.export --model BUNDLE)")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or usable_cpus()
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as err:  # onnxruntime raises its own types for a damaged graph
            raise ModelError(f"{path}: the ONNX graph cannot be loaded ({str(err).splitlines()[0][:200]}) (hint: "
                             "export it again with python -m mlc.export)") from None
        self.path, self.threads = path, options.intra_op_num_threads
        self.kind = "int8" if path.name == INT8_FILE else "fp32"

    def logits(self, batch: dict) -> np.ndarray:
        feed = {name: np.asarray(batch[name], dtype=np.int64) for name in INPUTS}
        return self.session.run(None, feed)[0]
