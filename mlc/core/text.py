"""Text normalisation shared by training and inference, so a model sees the same form of a text in both."""

from __future__ import annotations

import unicodedata


def normalize_text(text: str) -> str:
    """Unicode NFC and collapsed whitespace (tabs, newlines and runs of spaces become one space)."""
    return " ".join(unicodedata.normalize("NFC", text).split())
