"""mlc: multilingual, multi-label text classification with BERT-family encoders.

The public API: `load_data` (files to a `MultiLabelData`), `resolve_model` (the embedded default, a folder or a
hub id), `train` and `TrainArgs` (fine-tuning to a bundle), `Classifier` (inference), and the error types. Torch is
imported lazily, so `import mlc` stays light for data-only use.
"""

from .data import DataArgs, MultiLabelData, load_data
from .encoders import resolve_model
from .errors import DataError, MlcError, ModelError

__version__ = "0.1.0"
__all__ = ["Classifier", "DataArgs", "DataError", "MlcError", "ModelError", "MultiLabelData", "TrainArgs", "load_data",
           "resolve_model", "train"]


def __getattr__(name: str):
    if name == "Classifier":
        from .inference import Classifier

        return Classifier
    if name == "train":
        from .trainer import train

        return train
    if name == "TrainArgs":
        from .training_args import TrainArgs

        return TrainArgs
    raise AttributeError(f"module 'mlc' has no attribute {name!r}")
