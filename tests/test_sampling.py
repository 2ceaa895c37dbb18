"""mlc.training.sampling: language temperature, rare-label oversampling, epochs and length-grouped batches."""

from __future__ import annotations

import numpy as np
import pytest

from mlc.training.sampling import epoch_indices, language_weights, length_grouped_batches, rare_label_weights


@pytest.mark.parametrize("temperature, expected", [(1.0, [0.9, 0.1]), (1e9, [0.5, 0.5]), (2.0, [0.75, 0.25])])
def test_language_weights_give_each_language_n_to_the_one_over_t(temperature, expected):
    languages = ["en"] * 90 + ["sw"] * 10
    weights = language_weights(languages, temperature)
    total = np.array([weights[:90].sum(), weights[90:].sum()])
    assert total == pytest.approx(expected, abs=1e-6)
    assert np.allclose(weights[:90], weights[0]) and np.allclose(weights[90:], weights[90])


def test_rare_label_weights_lift_rows_with_a_rare_positive():
    labels = np.array([[1, 0]] * 8 + [[0, 1]] * 2 + [[1, 1]] + [[0, 0]])
    weights = rare_label_weights(labels, 1.0)
    # label 0 has 9 positives, label 1 has 3: rows holding label 1 weigh 9/3, rows without positives 1
    assert weights[8] == pytest.approx(3.0) and weights[10] == pytest.approx(3.0)
    assert weights[0] == pytest.approx(1.0) and weights[11] == pytest.approx(1.0)
    assert np.array_equal(rare_label_weights(labels, 0.0), np.ones(len(labels)))


def test_epoch_indices_are_a_permutation_or_weighted_draws_and_seeded():
    rng = np.random.default_rng(0)
    assert sorted(epoch_indices(10, None, rng)) == list(range(10))
    draws = epoch_indices(1000, np.array([0.0, 1.0, 3.0]), np.random.default_rng(1))
    assert 0 not in draws and 0.65 < (draws == 2).mean() < 0.85
    again = epoch_indices(1000, np.array([0.0, 1.0, 3.0]), np.random.default_rng(1))
    assert np.array_equal(draws, again)


def test_length_grouped_batches_cover_every_index_once_with_little_padding():
    rng = np.random.default_rng(3)
    lengths = rng.integers(1, 200, size=1000)
    indices = rng.permutation(1000)
    batches = length_grouped_batches(indices, lengths, batch_size=16, rng=np.random.default_rng(4))
    assert sorted(np.concatenate(batches).tolist()) == list(range(1000))
    assert all(len(b) <= 16 for b in batches)
    padding = sum(lengths[b].max() * len(b) - lengths[b].sum() for b in batches)
    random_padding = sum(lengths[b].max() * len(b) - lengths[b].sum() for b in np.array_split(indices, 63))
    assert padding < random_padding / 5
