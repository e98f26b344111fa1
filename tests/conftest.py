"""Shared synthetic data for the package tests, and the test tiers.

Each data fixture is a factory: call it with the shape and seed a test needs.
The same arguments always give the same data.

Markers (registered in pyproject.toml):

* ``data``: needs the real MovieLens 100K archive (every notebook does too);
* ``notebooks``: a notebook cell run under nbval (marked in the root conftest.py);
* ``slow``: starts fresh interpreters or processes; ``make unit`` leaves it out.

``make unit`` runs ``-m "not notebooks and not slow"``;
``AUTOREC_SKIP_DATA_CHECK=1 pytest tests -m "not data"`` needs no data at all.
"""

import numpy as np
import pandas as pd
import pytest


def _rating_matrix(rows=50, cols=30, density=0.2, seed=0):
    rng = np.random.default_rng(seed)
    values = rng.integers(1, 6, size=(rows, cols)).astype(np.float32)
    return values * (rng.random((rows, cols)) < density)


def _low_rank_split(items=60, users=40, density=0.3, seed=0):
    rng = np.random.default_rng(seed)
    full = np.clip(np.rint(3 + rng.normal(size=(items, 3)) @ rng.normal(size=(3, users))), 1, 5)
    observed = rng.uniform(size=full.shape) < density
    test = rng.uniform(size=full.shape) < 0.2
    return ((full * (observed & ~test)).astype(np.float32),
            (full * (observed & test)).astype(np.float32))


def _rating_frame(num_users=30, num_items=40, n=400, seed=0):
    rng = np.random.default_rng(seed)
    pairs = rng.choice(num_users * num_items, size=n, replace=False)
    return pd.DataFrame({
        "user_id": pairs // num_items + 1,
        "item_id": pairs % num_items + 1,
        "rating": rng.integers(1, 6, size=n),
        "timestamp": rng.integers(8e8, 9e8, size=n),
    })


@pytest.fixture
def rating_matrix():
    """``rating_matrix(rows=50, cols=30, density=0.2, seed=0)``: a float32
    matrix of random ratings 1..5 where observed (each entry with probability
    ``density``), 0 elsewhere."""
    return _rating_matrix


@pytest.fixture
def low_rank_split():
    """``low_rank_split(items=60, users=40, density=0.3, seed=0)``: train and
    test item-by-user matrices (float32, 0 = unobserved) cut from a rank-3
    rating matrix, about a fifth of the observed entries in test; a model can
    learn them."""
    return _low_rank_split


@pytest.fixture
def rating_frame():
    """``rating_frame(num_users=30, num_items=40, n=400, seed=0)``: ``n``
    distinct (user, item) ratings in u.data's columns ``user_id, item_id,
    rating, timestamp``, ids from 1."""
    return _rating_frame
