"""Inference: `Classifier` (load a bundle, score, decide), its options, and prediction files. Never imports
training."""
