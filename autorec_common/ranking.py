"""Top-N recommendation metrics (NumPy only).

Everything works on dense user-by-item arrays, which is what MovieLens 100K
needs (943 x 1,682):

* ``scores``: a float array, higher means "recommend first";
* ``exclude``: a boolean array of items a user must not be recommended
  (the items they already interacted with in training);
* ``relevant``: a boolean array of the held-out items (the test set).

:func:`top_k` turns scores into ranked lists; the metric functions take those
lists. For user :math:`u` write :math:`L_u` for the list of the top
:math:`k` items (in rank order, :math:`L_u[r]` at rank :math:`r = 1..k`) and
:math:`T_u` for the user's relevant (held-out) items. Accuracy metrics are
averaged over the users with at least one relevant item; the others have
nothing to find and are left out.

Accuracy:

* precision@k :math:`= |L_u \\cap T_u| / k`
* recall@k :math:`= |L_u \\cap T_u| / |T_u|`
* NDCG@k :math:`= \\mathrm{DCG}_u / \\mathrm{IDCG}_u` with
  :math:`\\mathrm{DCG}_u = \\sum_{r=1}^{k} [L_u[r] \\in T_u] / \\log_2(r + 1)` and
  :math:`\\mathrm{IDCG}_u = \\sum_{r=1}^{\\min(k, |T_u|)} 1 / \\log_2(r + 1)`
  (the DCG of a perfect list).

Beyond accuracy (over the lists of the same users):

* coverage :math:`= |\\bigcup_u L_u| / n` (share of the :math:`n` catalogue items
  that at least one user is recommended);
* Gini index of the recommendation counts :math:`c_i` (how many lists item
  :math:`i` appears in), with the counts sorted ascending
  :math:`c_{(1)} \\le \\dots \\le c_{(n)}`:
  :math:`G = \\sum_{j=1}^{n} (2j - n - 1)\\, c_{(j)} / (n \\sum_j c_{(j)})`;
  0 when every item is recommended equally often, :math:`(n-1)/n` when one item
  takes every slot;
* novelty :math:`= \\operatorname{mean}_{u, i \\in L_u} -\\log_2 p_i`, the mean
  self-information of the recommended items, where :math:`p_i` is the share of
  users who interacted with item :math:`i` in training (an item no one
  interacted with counts as one interaction, so novelty stays finite).
"""

from __future__ import annotations

import numpy as np

__all__ = ["top_k", "hits", "precision_at_k", "recall_at_k", "ndcg_at_k",
           "coverage", "gini", "item_counts", "novelty", "popularity", "evaluate"]


def _as_bool(a, name: str) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim != 2:
        raise ValueError(f"{name} must be a 2-d users x items array, got shape {a.shape}")
    return a.astype(bool, copy=False)


def top_k(scores, k: int, exclude=None) -> np.ndarray:
    """The ``k`` highest-scoring items of every user, best first.

    Items where ``exclude`` is true are never returned (their score is taken
    as minus infinity). Ties are broken by the lower item index, so the result
    is deterministic. Returns an integer array of shape ``(num_users, k)``.
    Raises ``ValueError`` if a user has fewer than ``k`` items left.
    """
    scores = np.array(scores, dtype=np.float64)  # a copy: we write -inf into it
    if scores.ndim != 2:
        raise ValueError(f"scores must be a 2-d users x items array, got shape {scores.shape}")
    if not 0 < k <= scores.shape[1]:
        raise ValueError(f"k must lie in 1..{scores.shape[1]}, got {k}")
    if np.isnan(scores).any():
        raise ValueError("scores contain NaN")
    if exclude is not None:
        exclude = _as_bool(exclude, "exclude")
        if exclude.shape != scores.shape:
            raise ValueError(f"exclude has shape {exclude.shape}, scores {scores.shape}")
        if (scores.shape[1] - exclude.sum(axis=1) < k).any():
            raise ValueError(f"some user has fewer than k={k} items that are not excluded")
        scores[exclude] = -np.inf
    # A stable sort of the negated scores keeps the lower index first among ties.
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


def hits(lists, relevant) -> np.ndarray:
    """Boolean array, same shape as ``lists``: is the item at each rank relevant?"""
    relevant = _as_bool(relevant, "relevant")
    lists = np.asarray(lists)
    return np.take_along_axis(relevant, lists, axis=1)


def _users(relevant) -> np.ndarray:
    """Users with at least one relevant item (the ones accuracy is averaged over)."""
    return _as_bool(relevant, "relevant").any(axis=1)


def precision_at_k(lists, relevant) -> float:
    """Mean over users with relevant items of ``|L_u & T_u| / k``."""
    h, users = hits(lists, relevant), _users(relevant)
    return float(h[users].sum(axis=1).mean() / h.shape[1])


def recall_at_k(lists, relevant) -> float:
    """Mean over users with relevant items of ``|L_u & T_u| / |T_u|``."""
    relevant = _as_bool(relevant, "relevant")
    h, users = hits(lists, relevant), _users(relevant)
    return float((h[users].sum(axis=1) / relevant[users].sum(axis=1)).mean())


def ndcg_at_k(lists, relevant) -> float:
    """Mean over users with relevant items of DCG@k / IDCG@k (binary relevance)."""
    relevant = _as_bool(relevant, "relevant")
    h, users = hits(lists, relevant), _users(relevant)
    k = h.shape[1]
    discount = 1.0 / np.log2(np.arange(2, k + 2))      # rank r -> 1 / log2(r + 1)
    dcg = (h[users] * discount).sum(axis=1)
    ideal_len = np.minimum(relevant[users].sum(axis=1), k)
    idcg = np.cumsum(discount)[ideal_len - 1]
    return float((dcg / idcg).mean())


def item_counts(lists, num_items: int) -> np.ndarray:
    """How many of the lists each item appears in (length ``num_items``)."""
    return np.bincount(np.asarray(lists).ravel(), minlength=num_items)


def coverage(lists, num_items: int) -> float:
    """Share of the ``num_items`` catalogue items recommended to at least one user."""
    return float((item_counts(lists, num_items) > 0).sum() / num_items)


def gini(counts) -> float:
    """Gini index of non-negative counts: 0 = all equal, (n-1)/n = all on one."""
    c = np.sort(np.asarray(counts, dtype=np.float64))
    n, total = len(c), c.sum()
    if n == 0 or total == 0:
        raise ValueError("gini needs at least one positive count")
    if (c < 0).any():
        raise ValueError("counts must be non-negative")
    j = np.arange(1, n + 1)
    return float(np.sum((2 * j - n - 1) * c) / (n * total))


def popularity(train) -> np.ndarray:
    """Share of users who interacted with each item in ``train`` (users x items).

    Items no user interacted with count as one interaction (a floor that
    keeps their self-information finite).
    """
    train = _as_bool(train, "train")
    return np.maximum(train.sum(axis=0), 1) / train.shape[0]


def novelty(lists, item_popularity) -> float:
    """Mean self-information ``-log2 p_i`` of all recommended items."""
    p = np.asarray(item_popularity, dtype=np.float64)
    if (p <= 0).any() or (p > 1).any():
        raise ValueError("popularities must lie in (0, 1]")
    return float(np.mean(-np.log2(p[np.asarray(lists)])))


def evaluate(scores, train, relevant, k: int = 10, exclude=None) -> dict:
    """All metrics of one score matrix.

    ``train`` (users x items, boolean) holds the training interactions: they
    are excluded from the lists (together with ``exclude``, if given, e.g. a
    validation set) and give the item popularities for novelty. Lists are made
    for the users with at least one relevant item; coverage and Gini are over
    all catalogue items (the columns).
    """
    train = _as_bool(train, "train")
    relevant = _as_bool(relevant, "relevant")
    mask = train if exclude is None else train | _as_bool(exclude, "exclude")
    users = _users(relevant)
    lists = top_k(np.asarray(scores)[users], k, mask[users])
    rel = relevant[users]
    n = train.shape[1]
    return {
        f"precision@{k}": precision_at_k(lists, rel),
        f"recall@{k}": recall_at_k(lists, rel),
        f"ndcg@{k}": ndcg_at_k(lists, rel),
        "coverage": coverage(lists, n),
        "gini": gini(item_counts(lists, n)),
        "novelty": novelty(lists, popularity(train)),
    }
