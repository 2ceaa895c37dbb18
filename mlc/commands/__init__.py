"""The verbs: python -m mlc.<verb> and `mlc VERB` (train, evaluate, predict, data)."""
