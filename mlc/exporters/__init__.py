"""Exporters: a bundle's model in other runtimes' formats, written into the bundle (ONNX Runtime: mlc.exporters.onnx)."""
