"""mlc: multilingual, multi-label text classification with BERT-family encoders.

The public API: `load_data` (files to a `MultiLabelData`), `resolve_model` (the embedded default, a folder or a
hub id) and the error types. Training, evaluation and the `Classifier` inference API build on these.
"""

from .data import DataArgs, MultiLabelData, load_data
from .encoders import resolve_model
from .errors import DataError, MlcError, ModelError

__version__ = "0.1.0"
__all__ = ["DataArgs", "DataError", "MlcError", "ModelError", "MultiLabelData", "load_data", "resolve_model"]
