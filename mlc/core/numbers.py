"""Numbers written to text files so that reading them back gives the value the product decided with."""

from __future__ import annotations

from typing import Any


def exact_float(value: Any) -> str:
    """The shortest decimal that reads back as exactly `value` (a float32 score is exact as a float64): re-deciding
    a written score at a written threshold gives the decision the product made, whatever the digits."""
    return repr(float(value))
