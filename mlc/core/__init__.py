"""Foundations every layer may use: errors, atomic files, text normalisation, the options mechanism."""
