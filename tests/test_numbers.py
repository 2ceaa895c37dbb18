"""mlc.core.numbers: a written score reads back as exactly the value decided with."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from mlc.core.numbers import exact_float


@given(st.floats(0, 1, width=32), st.floats(0, 1))
def test_re_deciding_from_the_written_digits_gives_the_same_decision(score, threshold):
    score32 = np.float32(score)
    written_score, written_threshold = float(exact_float(score32)), float(exact_float(threshold))
    assert written_score == float(score32) and written_threshold == threshold
    assert (written_score >= written_threshold) == bool(np.array([score32]) >= np.array([threshold]))
