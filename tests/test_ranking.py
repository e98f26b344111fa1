"""Top-N metrics on small cases worked out by hand."""

import math

import numpy as np
import pytest

from autorec_common import ranking


def test_top_k_orders_excludes_and_breaks_ties_by_index():
    scores = np.array([[0.1, 0.9, 0.5, 0.9],
                       [3.0, 2.0, 1.0, 0.0]])
    exclude = np.array([[False, False, False, False],
                        [True, False, False, False]])
    lists = ranking.top_k(scores, 3, exclude)
    # user 0: items 1 and 3 tie at 0.9 -> lower index first; then item 2
    # user 1: item 0 is excluded although it scores highest
    assert lists.tolist() == [[1, 3, 2], [1, 2, 3]]
    assert scores[1, 0] == 3.0  # the caller's array is not modified


def test_top_k_errors():
    with pytest.raises(ValueError, match="k must"):
        ranking.top_k(np.zeros((2, 3)), 4)
    with pytest.raises(ValueError, match="fewer than k"):
        ranking.top_k(np.zeros((1, 3)), 2, np.array([[True, True, False]]))
    with pytest.raises(ValueError, match="NaN"):
        ranking.top_k(np.array([[np.nan, 1.0]]), 1)


# Two users, five items, lists of length 3.
#   user 0: list [2, 0, 4], relevant {0, 1}: one hit, at rank 2
#   user 1: list [3, 1, 0], relevant {3}:    one hit, at rank 1
#   user 2: no relevant items -> left out of the accuracy averages
LISTS = np.array([[2, 0, 4], [3, 1, 0], [0, 1, 2]])
RELEVANT = np.zeros((3, 5), dtype=bool)
RELEVANT[0, [0, 1]] = True
RELEVANT[1, 3] = True


def test_precision_and_recall_by_hand():
    assert ranking.precision_at_k(LISTS, RELEVANT) == pytest.approx((1 / 3 + 1 / 3) / 2)
    assert ranking.recall_at_k(LISTS, RELEVANT) == pytest.approx((1 / 2 + 1 / 1) / 2)


def test_ndcg_by_hand():
    # user 0: DCG = 1/log2(3); IDCG (two relevant) = 1/log2(2) + 1/log2(3)
    u0 = (1 / math.log2(3)) / (1 + 1 / math.log2(3))
    # user 1: hit at rank 1, one relevant item -> perfect
    u1 = 1.0
    assert ranking.ndcg_at_k(LISTS, RELEVANT) == pytest.approx((u0 + u1) / 2)


def test_perfect_and_empty_lists():
    relevant = np.array([[True, True, False, False]])
    assert ranking.ndcg_at_k([[1, 0]], relevant) == pytest.approx(1.0)
    assert ranking.ndcg_at_k([[2, 3]], relevant) == 0.0
    assert ranking.precision_at_k([[2, 3]], relevant) == 0.0


def test_coverage_and_counts():
    assert ranking.item_counts(LISTS, 6).tolist() == [3, 2, 2, 1, 1, 0]
    assert ranking.coverage(LISTS, 6) == pytest.approx(5 / 6)


def test_gini_by_hand():
    assert ranking.gini([1, 1, 1, 1]) == pytest.approx(0.0)
    assert ranking.gini([0, 0, 0, 4]) == pytest.approx(3 / 4)      # (n - 1) / n
    # sorted [0, 1, 3], n = 3: weights 2j - n - 1 = [-2, 0, 2] -> (0 + 0 + 6) / (3 * 4)
    assert ranking.gini([3, 0, 1]) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        ranking.gini([0, 0])


def test_popularity_and_novelty_by_hand():
    train = np.array([[1, 1, 0, 0],
                      [1, 0, 0, 0],
                      [1, 0, 1, 0],
                      [1, 0, 0, 0]], dtype=bool)
    p = ranking.popularity(train)
    # item 3 has no interactions: floored to one of four users
    assert p.tolist() == [1.0, 0.25, 0.25, 0.25]
    # lists hold items 0 (0 bits) and 1 (2 bits) and 2 (2 bits) and 3 (2 bits)
    assert ranking.novelty([[0, 1], [2, 3]], p) == pytest.approx((0 + 2 + 2 + 2) / 4)


def test_evaluate_excludes_training_items():
    train = np.array([[1, 0, 0, 0], [0, 1, 0, 0]], dtype=bool)
    test = np.array([[0, 0, 1, 0], [1, 0, 0, 0]], dtype=bool)
    # Training items score highest, but may not be recommended.
    scores = np.array([[9.0, 0.0, 5.0, 1.0], [0.0, 9.0, 1.0, 5.0]])
    out = ranking.evaluate(scores, train, test, k=1)
    # user 0 gets item 2 (a hit), user 1 gets item 3 (a miss)
    assert out["precision@1"] == pytest.approx(0.5)
    assert out["recall@1"] == pytest.approx(0.5)
    assert out["ndcg@1"] == pytest.approx(0.5)
    assert out["coverage"] == pytest.approx(2 / 4)
    assert out["gini"] == pytest.approx(ranking.gini([0, 0, 1, 1]))
    # popularities [1/2, 1/2, floor 1/2, floor 1/2] -> every item carries 1 bit
    assert out["novelty"] == pytest.approx(1.0)
    # an extra exclusion (a validation set) moves user 0 to item 3
    out = ranking.evaluate(scores, train, test, k=1,
                           exclude=np.array([[0, 0, 1, 0], [0, 0, 0, 0]], dtype=bool))
    assert out["precision@1"] == 0.0
