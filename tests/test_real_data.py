"""The real MovieLens 100K archive: what the chapter prints, and the release's splits."""

import numpy as np
import pytest

from autorec_common import (describe, fetch_ml100k, interaction_matrix, read_data_ml100k,
                            rating_matrices, read_items, read_split, split_data_ml100k,
                            verify_archive)

pytestmark = pytest.mark.data


@pytest.fixture(scope="module")
def ml100k():
    return read_data_ml100k()


def test_archive_verifies():
    assert verify_archive(fetch_ml100k(progressbar=False)) in {"official", "members"}


def test_statistics_match_the_book(ml100k):
    data, num_users, num_items = ml100k
    assert describe(data, num_users, num_items) == {
        "ratings": 100_000, "users": 943, "items": 1_682, "sparsity": 0.936953}
    assert data.iloc[0].tolist() == [196, 242, 3, 881250949]


def test_items_are_latin1():
    items = read_items()
    assert len(items) == 1682
    assert items.title.str.contains("é").any()


@pytest.mark.parametrize("name, sizes", [
    ("u1", (80_000, 20_000)), ("u5", (80_000, 20_000)),
    ("ua", (90_570, 9_430)), ("ub", (90_570, 9_430))])
def test_release_splits(name, sizes):
    train, test = read_split(name)
    assert (len(train), len(test)) == sizes
    assert not set(zip(train.user_id, train.item_id)) & set(zip(test.user_id, test.item_id))


def test_release_folds_partition_the_ratings(ml100k):
    data = ml100k[0]
    folds = [read_split(f"u{k}")[1] for k in range(1, 6)]
    keys = [set(zip(f.user_id, f.item_id)) for f in folds]
    assert sum(map(len, keys)) == len(data) and len(set().union(*keys)) == len(data)


def test_random_split_and_matrix(ml100k):
    data, nu, ni = ml100k
    train, test = split_data_ml100k(data, nu, ni, seed=0)
    assert 9_500 < len(test) < 10_500
    mat = interaction_matrix(train, nu, ni)
    assert mat.shape == (1682, 943) and np.count_nonzero(mat) == len(train)


def test_rating_matrices_with_validation():
    m = rating_matrices("random", seed=0, valid_ratio=0.1)
    assert m.train.shape == m.valid.shape == m.test.shape == (1682, 943)
    counts = [np.count_nonzero(x) for x in (m.train, m.valid, m.test)]
    assert sum(counts) == 100_000 and 8_000 < counts[1] < 10_000
    assert not ((m.train > 0) & (m.valid > 0)).any() and not ((m.valid > 0) & (m.test > 0)).any()
    u = rating_matrices("u1", kind="user-item")
    assert u.train.shape == (943, 1682) and np.count_nonzero(u.test) == 20_000 and u.valid is None


def test_load_ratings_of_100k_is_the_books_reader(ml100k):
    from autorec_common import load_ratings

    data, num_users, num_items = load_ratings("ml-100k")
    assert data.equals(ml100k[0]) and (num_users, num_items) == ml100k[1:]
