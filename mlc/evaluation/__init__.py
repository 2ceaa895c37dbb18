"""Evaluation: a Classifier scored on labelled data, threshold tuning, reports, and a new bundle's calibration."""
