"""Arithmetic on arrays of truth, predictions and scores: F1 and friends, threshold search (no mlc imports)."""
