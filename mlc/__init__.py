"""mlc: multilingual, multi-label text classification with BERT-family encoders.

The public API: `load_data` (files to a `MultiLabelData`), `resolve_model` (the embedded default, a folder or a
hub id), `fit` and `TrainArgs` (fine-tuning to a bundle), `Classifier` (inference), and the error types.

The package is layered; each layer imports only the ones below it (checked by import-linter, see pyproject.toml):

    commands, demo        the verbs (python -m mlc.<verb>, `mlc VERB`) and the app's service
    evaluation            metrics of a Classifier on data, threshold tuning, reports, a new bundle's calibration
    training | inference  fine-tuning (never imported by inference) | Classifier: load, score, decide
    bundle                the bundle's files: write, read, validate
    model                 encoders, the embedded default, the classifier module, n-grams, the scoring loop
    data                  readers, label layouts, the loader, languages
    metrics               arithmetic on arrays: F1 and friends, threshold search
    core                  errors, atomic files, text normalisation, the options mechanism

Torch is imported lazily, so `import mlc` stays light for data-only use.
"""

from mlc.core.errors import DataError, MlcError, ModelError
from mlc.data import DataArgs, MultiLabelData, load_data
from mlc.model.encoders import resolve_model

__version__ = "0.1.0"
__all__ = ["Classifier", "DataArgs", "DataError", "MlcError", "ModelError", "MultiLabelData", "TrainArgs", "fit",
           "load_data", "resolve_model"]


def __getattr__(name: str):
    if name == "Classifier":
        from mlc.inference.classifier import Classifier

        return Classifier
    if name == "fit":
        from mlc.commands.train import fit

        return fit
    if name == "TrainArgs":
        from mlc.training.args import TrainArgs

        return TrainArgs
    raise AttributeError(f"module 'mlc' has no attribute {name!r}")
