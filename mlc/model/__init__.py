"""The model: encoders and the embedded default, the classifier module, the n-gram model, dtypes, the scoring loop."""
