"""Interaction matrices of a split, ready for AutoRec."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import releases
from .readers import load_ratings, read_split, split_data_ml100k
from .releases import RELEASE_SPLITS


def _available_memory() -> int | None:
    """Bytes of memory available now (Linux's MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _check_fits(needed: int, rows: int, cols: int, dtype) -> None:
    """Refuse a dense matrix larger than the memory available, with advice,
    rather than let the system kill the process while it fills the matrix."""
    available = _available_memory()
    if available is not None and needed > available:
        raise MemoryError(
            f"a dense {rows:,} x {cols:,} {np.dtype(dtype).name} matrix needs "
            f"{needed / 2**30:.1f} GiB, more than the {available / 2**30:.1f} GiB of "
            f"memory available now; use rating_matrices(..., sparse=True) or "
            f"sparse_interaction_matrix, which store only the observed ratings.")


def interaction_matrix(data: pd.DataFrame, num_users: int, num_items: int,
                       kind: str = "item-user", dtype=np.float32) -> np.ndarray:
    """Dense rating matrix with zeros where no rating was observed.

    ``kind="item-user"`` gives one row per item (the input of item-based
    AutoRec, shape ``(num_items, num_users)``); ``"user-item"`` its transpose.
    """
    users = data.user_id.to_numpy() - 1
    items = data.item_id.to_numpy() - 1
    if users.min(initial=0) < 0 or items.min(initial=0) < 0 or \
            users.max(initial=-1) >= num_users or items.max(initial=-1) >= num_items:
        raise ValueError("ids fall outside 1..num_users or 1..num_items")
    _check_fits(num_items * num_users * np.dtype(dtype).itemsize, num_items, num_users,
                dtype)
    if kind == "item-user":
        mat = np.zeros((num_items, num_users), dtype=dtype)
        mat[items, users] = data.rating.to_numpy()
    elif kind == "user-item":
        mat = np.zeros((num_users, num_items), dtype=dtype)
        mat[users, items] = data.rating.to_numpy()
    else:
        raise ValueError(f"unknown kind {kind!r}; use 'item-user' or 'user-item'")
    return mat


def load_data_ml100k(data: pd.DataFrame, num_users: int, num_items: int,
                     feedback: str = "explicit"):
    """D2L's loader: 0-based ``users, items, scores`` lists and the matrix.

    As in the book, the explicit-feedback matrix is item-by-user; with
    ``feedback="implicit"`` the scores are 1 and the "matrix" is a dict from
    each user to the items they rated.
    """
    users = (data.user_id.to_numpy() - 1).tolist()
    items = (data.item_id.to_numpy() - 1).tolist()
    if feedback == "explicit":
        scores = data.rating.to_numpy().tolist()
        inter = interaction_matrix(data, num_users, num_items, "item-user")
    elif feedback == "implicit":
        scores = [1] * len(users)
        inter = {}
        for u, i in zip(users, items):
            inter.setdefault(u, []).append(i)
    else:
        raise ValueError(f"unknown feedback {feedback!r}")
    return users, items, scores, inter


def sparse_interaction_matrix(data: pd.DataFrame, num_users: int, num_items: int,
                              kind: str = "item-user", dtype=np.float32,
                              format: str = "csr"):
    """The rating matrix of :func:`interaction_matrix` as a SciPy sparse matrix
    (``format`` ``"csr"`` or ``"coo"``) that stores only the observed ratings."""
    from scipy import sparse

    users = data.user_id.to_numpy() - 1
    items = data.item_id.to_numpy() - 1
    if users.min(initial=0) < 0 or items.min(initial=0) < 0 or \
            users.max(initial=-1) >= num_users or items.max(initial=-1) >= num_items:
        raise ValueError("ids fall outside 1..num_users or 1..num_items")
    if kind not in ("item-user", "user-item"):
        raise ValueError(f"unknown kind {kind!r}; use 'item-user' or 'user-item'")
    if format not in ("csr", "coo"):
        raise ValueError(f"unknown sparse format {format!r}; use 'csr' or 'coo'")
    rows, cols, shape = ((items, users, (num_items, num_users)) if kind == "item-user"
                         else (users, items, (num_users, num_items)))
    mat = sparse.coo_matrix((data.rating.to_numpy(dtype), (rows, cols)), shape=shape)
    return mat.tocsr() if format == "csr" else mat


class RatingMatrices:
    """Train / validation / test matrices of one split, ready for AutoRec.

    Attributes: ``train``, ``valid`` (``None`` without a validation carve-out),
    ``test`` (of shape ``(num_items, num_users)`` for ``kind="item-user"``,
    transposed for ``"user-item"``; dense arrays, or SciPy sparse matrices when
    ``sparse`` is ``"csr"`` or ``"coo"``), the data frames they came from
    (``train_df``, ``valid_df``, ``test_df``), ``num_users``, ``num_items``,
    ``kind``, ``split``, ``release`` and ``sparse``.
    """

    def __init__(self, train_df, valid_df, test_df, num_users, num_items, kind, split,
                 release="ml-100k", sparse=False):
        self.train_df, self.valid_df, self.test_df = train_df, valid_df, test_df
        self.num_users, self.num_items, self.kind, self.split = num_users, num_items, kind, split
        self.release, self.sparse = release, sparse

        def build(df):
            if df is None:
                return None
            if sparse:
                return sparse_interaction_matrix(df, num_users, num_items, kind,
                                                 format=sparse)
            return interaction_matrix(df, num_users, num_items, kind)

        self.train, self.valid, self.test = build(train_df), build(valid_df), build(test_df)

    def __repr__(self):
        sizes = ", ".join(f"{n}={len(df)}" for n, df in
                          (("train", self.train_df), ("valid", self.valid_df),
                           ("test", self.test_df)) if df is not None)
        where = "" if self.release == "ml-100k" else f"release={self.release!r}, "
        form = f"sparse={self.sparse!r}, " if self.sparse else ""
        return (f"RatingMatrices({where}split={self.split!r}, kind={self.kind!r}, "
                f"{form}shape={self.train.shape}, ratings: {sizes})")


def rating_matrices(split: str = "random", seed: int = 0, test_ratio: float = 0.1,
                    valid_ratio: float = 0.0, valid_seed: int | None = None,
                    kind: str = "item-user", root=None, release="ml-100k",
                    sparse: bool | str = False) -> RatingMatrices:
    """The matrices of one split of a MovieLens release, optionally with validation.

    ``split`` is ``"random"`` (D2L's 90/10 split drawn with ``seed``),
    ``"seq-aware"``, or for MovieLens 100K a release split ``"u1"``..``"u5"``,
    ``"ua"``, ``"ub"``. With ``valid_ratio > 0``, that share of the *training*
    ratings is held out at random (with ``valid_seed``, default ``seed + 1000``)
    as a validation set for choosing hyperparameters, so that the test set is
    never used for it. The matrices always have every user and item of the
    release (943 users and 1,682 items for 100K). ``release`` is a name of
    :data:`~autorec_common.data.releases.RELEASES` (``"ml-1m"``, ...);
    ``sparse=True`` (or ``"csr"``, ``"coo"``) gives SciPy sparse matrices.
    """
    name = releases.release(release).name
    if sparse is True:
        sparse = "csr"
    if sparse not in (False, "csr", "coo"):
        raise ValueError(f"sparse must be False, True, 'csr' or 'coo', not {sparse!r}")
    if split in RELEASE_SPLITS and name != "ml-100k":
        raise ValueError(f"split {split!r} is one of MovieLens 100K's own splits; "
                         f"for {name} use 'random' or 'seq-aware'")
    data, num_users, num_items = load_ratings(name, root)
    if split in RELEASE_SPLITS:
        train, test = read_split(split, root)
    else:
        train, test = split_data_ml100k(data, num_users, num_items, split, test_ratio, seed)
    valid = None
    if valid_ratio:
        vseed = seed + 1000 if valid_seed is None else valid_seed
        train, valid = split_data_ml100k(train, num_users, num_items, "random",
                                         valid_ratio, vseed)
    return RatingMatrices(train, valid, test, num_users, num_items, kind, split, name,
                          sparse)
