"""MovieLens 100K: fetch, verify, read, split, and build interaction matrices.

NumPy and pandas only: no deep-learning framework is imported here.

The archive is downloaded once into a cache folder (see :func:`data_dir`) and
verified before any byte of it is used:

* an archive whose SHA-1 is the official one is trusted whole;
* any other archive (a re-compressed copy, say) is trusted only if every member
  this module reads matches the SHA-256 recorded in :data:`MEMBER_SHA256`.

Members are read straight out of the zip file; nothing is extracted to disk.
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

URL = "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
ARCHIVE_NAME = "ml-100k.zip"
OFFICIAL_SHA1 = "cd4dcac4241c8a4ad7badc7ca635da8a69dddb83"
DATA_ENV = "AUTOREC_DATA"

CITATION = (
    "F. Maxwell Harper and Joseph A. Konstan. 2015. The MovieLens Datasets: "
    "History and Context. ACM Transactions on Interactive Intelligent Systems "
    "5, 4: 19:1-19:19. https://doi.org/10.1145/2827872"
)

#: Size in bytes and SHA-256 of each member of the original release that this
#: module may read. A local archive that is not byte-identical to the official
#: one is accepted member by member against this table.
MEMBER_SHA256 = {
    "u.data": (1_979_173, "06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490"),
    "u.item": (236_344, "553841ebc7de3a0fd0d6b62a204ea30c1e651aacfb2814c7a6584ac52f2c5701"),
    "u.user": (22_628, "f120e114da2e8cf314fd28f99417c94ae9ddf1cb6db8ce0e4b5995d40e90e62c"),
    "u.genre": (202, "9757e0d3e6b298159a80dd48eaf938114690e911e39af97a76949ef1663610bb"),
    "u1.base": (1_586_544, "ce253ec86c448b44fb3ba9a30d12dcfc2e9210cbde71efada3730c22e9ac212a"),
    "u1.test": (392_629, "18c6014a4b2c7324f250a63f8904a7b16b2b19f911129e346141507b0cbac950"),
    "u2.base": (1_583_948, "6c06f0b5df4b256da1a994f3ac66edc8da4d3f09bc9282df6b14d893366d703e"),
    "u2.test": (395_225, "4de658d1e04ed9104629509a2e2528fce833ac8e048280183f1df167632038c3"),
    "u3.base": (1_582_546, "afdc155c291c6edc41c0407e39d7462eb98d341e064f0b0a12175b80b3c4af5d"),
    "u3.test": (396_627, "0f548b51c78327de4c156461d3e430b7e5579fe2b5681586a59416e48fd35f6d"),
    "u4.base": (1_581_878, "219f0f4d40dfe9c5141d425f53fa91ee23ed275f14e280bbf1b50117afb064ca"),
    "u4.test": (397_295, "7c02ad0a1e7ab1083c8b9d4b627203a051dd7b5eab46d99fa44de33470de8db9"),
    "u5.base": (1_581_776, "a9574e59ce961eec2121627760b6e9b0974ce1637b3fe69ac32cb14a4bfab485"),
    "u5.test": (397_397, "351cc52e0d15b6c721466276fc24671d40936899e3d01fadeaf312915b8c5634"),
    "ua.base": (1_792_501, "67b5bcdb380c29f85d56a012ecd88612ae020f30a6730d117a334ee8203b91f2"),
    "ua.test": (186_672, "d0497e202417720f57a184ec8c66be2d1afa4ff41bb53787c57b28d6bf79bc42"),
    "ub.base": (1_792_476, "237254d253b6ad7de84f919d041055428646254f34ed8f562703c899430cd881"),
    "ub.test": (186_697, "d54a72d05730d5892062734b2bec73e976f9b713d18c828a18b968d6cce442da"),
}

RELEASE_SPLITS = ("u1", "u2", "u3", "u4", "u5", "ua", "ub")
RATING_COLUMNS = ["user_id", "item_id", "rating", "timestamp"]
GENRES = [
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy",
    "Crime", "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror",
    "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
]


class DataError(RuntimeError):
    """Base class of the errors this module raises about the data set."""


class DataUnavailableError(DataError):
    """The archive is not cached and could not be downloaded."""


class CorruptArchiveError(DataError):
    """An archive (cached or downloaded) failed its integrity checks."""


class MalformedDataError(DataError, ValueError):
    """A line of a ratings or item file could not be parsed."""


# --------------------------------------------------------------------------
# Where the data lives
# --------------------------------------------------------------------------

def data_dir() -> Path:
    """The folder that holds (or will hold) ``ml-100k.zip``.

    In order: the folder named by the environment variable ``AUTOREC_DATA``;
    ``data/`` at the root of this repository when the package is used from a
    checkout (``pip install -e .``); otherwise the user's cache folder
    (``~/.cache/autorec-notebooks`` on Linux, ``/root/.cache/...`` in Colab).
    """
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser()
    repo = Path(__file__).resolve().parent.parent
    if (repo / "pyproject.toml").is_file() and (repo / "notebooks").is_dir():
        return repo / "data"
    import pooch

    return Path(pooch.os_cache("autorec-notebooks"))


def archive_path(root: str | os.PathLike | None = None) -> Path:
    """Where the archive is expected: ``<root or data_dir()>/ml-100k.zip``."""
    return (Path(root) if root is not None else data_dir()) / ARCHIVE_NAME


# --------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------

def _hash_file(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_archive(path: str | os.PathLike) -> str:
    """Check an archive and say why it can be trusted.

    Returns ``"official"`` when the file is byte-identical to the GroupLens
    release (by SHA-1), or ``"members"`` when it is another zip file whose
    members match :data:`MEMBER_SHA256` one by one. Raises
    :class:`CorruptArchiveError` otherwise, naming what is wrong.
    """
    path = Path(path)
    if _hash_file(path, "sha1") == OFFICIAL_SHA1:
        return "official"
    try:
        with zipfile.ZipFile(path) as zf:
            names = {Path(n).name: n for n in zf.namelist()}
            for member, (size, digest) in MEMBER_SHA256.items():
                if member not in names:
                    raise CorruptArchiveError(
                        f"{path} is not a complete MovieLens 100K archive: it has no "
                        f"member {member!r}.")
                data = zf.read(names[member])
                if len(data) != size or hashlib.sha256(data).hexdigest() != digest:
                    raise CorruptArchiveError(
                        f"{path}: member {member!r} does not match the original "
                        f"release (expected {size} bytes with SHA-256 {digest[:12]}..., "
                        f"got {len(data)} bytes with SHA-256 "
                        f"{hashlib.sha256(data).hexdigest()[:12]}...).")
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as err:
        raise CorruptArchiveError(
            f"{path} is corrupt or truncated ({type(err).__name__}: {err}).") from err
    return "members"


_VERIFIED: dict[tuple[str, int, int], str] = {}


def _verified(path: Path) -> str:
    """verify_archive, remembered per (path, size, mtime) within a process."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _VERIFIED:
        _VERIFIED[key] = verify_archive(path)
    return _VERIFIED[key]


def _help_text(path: Path) -> str:
    return (
        f"Download {URL} yourself (or copy an existing ml-100k.zip) and put it at\n"
        f"    {path}\n"
        f"or set the environment variable {DATA_ENV} to the folder that holds "
        f"ml-100k.zip, then run again.")


def download_ml100k(root: str | os.PathLike | None = None, url: str = URL,
                    progressbar: bool = True) -> Path:
    """Download the official archive into ``root`` and check its SHA-1.

    The download goes through :func:`pooch.retrieve`, which checks the HTTP
    status, writes to a temporary file, and moves it into place only after the
    hash matched: a failed or partial download never leaves a file behind.
    """
    import pooch
    import requests

    target = archive_path(root)
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    try:
        fetched = pooch.retrieve(url, known_hash=f"sha1:{OFFICIAL_SHA1}",
                                 fname=ARCHIVE_NAME, path=folder,
                                 progressbar=progressbar)
    except ValueError as err:  # pooch's hash mismatch
        raise CorruptArchiveError(
            f"The file downloaded from {url} failed its SHA-1 check and was "
            f"discarded ({err}).\n" + _help_text(target)) from err
    except (requests.exceptions.RequestException, OSError) as err:
        raise DataUnavailableError(
            f"Could not download MovieLens 100K from {url}: "
            f"{type(err).__name__}: {err}\n" + _help_text(target)) from err
    return Path(fetched)


def fetch_ml100k(root: str | os.PathLike | None = None, url: str = URL,
                 progressbar: bool = True) -> Path:
    """Return the path of a verified ``ml-100k.zip``, downloading it if needed.

    A cached archive that fails verification is never used: it is renamed to
    ``ml-100k.zip.corrupt`` (so nothing is lost) and a fresh copy is downloaded.
    """
    path = archive_path(root)
    folder = path.parent
    problem = None
    if path.is_file():
        try:
            _verified(path)
            return path
        except CorruptArchiveError as err:
            quarantine = path.with_name(ARCHIVE_NAME + ".corrupt")
            os.replace(path, quarantine)
            problem = (f"The cached archive failed verification and was moved to "
                       f"{quarantine}: {err}")
            warnings.warn(problem + "\nDownloading a fresh copy.", stacklevel=2)
    try:
        fetched = download_ml100k(folder, url=url, progressbar=progressbar)
    except DataError as err:
        if problem:
            raise type(err)(f"{problem}\n{err}") from err
        raise
    _verified(fetched)
    return fetched


def read_member(name: str, root: str | os.PathLike | None = None) -> bytes:
    """The bytes of one member (``"u.data"``, ``"u1.base"``, ...) of a verified archive."""
    path = fetch_ml100k(root)
    how = _verified(path)
    with zipfile.ZipFile(path) as zf:
        names = {Path(n).name: n for n in zf.namelist()}
        if name not in names:
            raise DataError(f"{path} has no member {name!r}.")
        data = zf.read(names[name])
    if how != "official" and name not in MEMBER_SHA256:
        raise CorruptArchiveError(
            f"{path} is not the official archive, and {name!r} has no recorded "
            f"checksum, so it cannot be trusted.")
    return data


# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------

def parse_ratings(text: bytes | str, source: str = "<ratings>") -> pd.DataFrame:
    """Parse tab-separated ``user item rating timestamp`` lines.

    Every line must hold four integers, positive ids and a rating from 1 to 5;
    otherwise :class:`MalformedDataError` names the file and the line.
    """
    if isinstance(text, bytes):
        text = text.decode("ascii", errors="replace")
    rows = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        try:
            if len(fields) != 4:
                raise ValueError(f"expected 4 tab-separated fields, found {len(fields)}")
            user, item, rating, stamp = (int(x) for x in fields)
            if user < 1 or item < 1:
                raise ValueError("user and item ids start at 1")
            if not 1 <= rating <= 5:
                raise ValueError(f"rating {rating} is outside 1..5")
        except ValueError as err:
            raise MalformedDataError(
                f"{source}, line {lineno}: {err}: {line[:80]!r}") from None
        rows.append((user, item, rating, stamp))
    if not rows:
        raise MalformedDataError(f"{source}: no ratings found")
    return pd.DataFrame(np.array(rows, dtype=np.int64), columns=RATING_COLUMNS)


def parse_items(text: bytes, source: str = "u.item") -> pd.DataFrame:
    """Parse ``u.item`` (Latin-1, ``|``-separated) into a data frame."""
    decoded = text.decode("latin-1")
    rows = []
    for lineno, line in enumerate(decoded.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("|")
        if len(fields) != 5 + len(GENRES):
            raise MalformedDataError(
                f"{source}, line {lineno}: expected {5 + len(GENRES)} '|'-separated "
                f"fields, found {len(fields)}: {line[:80]!r}")
        try:
            item_id = int(fields[0])
            genres = [int(g) for g in fields[5:]]
        except ValueError as err:
            raise MalformedDataError(f"{source}, line {lineno}: {err}") from None
        rows.append([item_id, fields[1], fields[2], fields[4]] + genres)
    frame = pd.DataFrame(rows, columns=["item_id", "title", "release_date", "url"] + GENRES)
    frame["release_date"] = pd.to_datetime(frame["release_date"], format="%d-%b-%Y",
                                           errors="coerce")
    return frame


# --------------------------------------------------------------------------
# Readers with the book's names
# --------------------------------------------------------------------------

def read_data_ml100k(root: str | os.PathLike | None = None):
    """All 100,000 ratings, as in D2L: ``(data, num_users, num_items)``.

    ``data`` has the columns ``user_id, item_id, rating, timestamp`` with the
    release's 1-based ids.
    """
    data = parse_ratings(read_member("u.data", root), source="u.data")
    return data, int(data.user_id.max()), int(data.item_id.max())


def read_items(root: str | os.PathLike | None = None) -> pd.DataFrame:
    """The movies: id, title, release date, IMDb URL and 19 genre flags."""
    return parse_items(read_member("u.item", root))


def read_split(name: str, root: str | os.PathLike | None = None):
    """One of the release's own splits: ``u1``..``u5`` (80/20) or ``ua``/``ub``.

    Returns ``(train, test)`` data frames. ``u1``..``u5`` are the five disjoint
    test folds of a 5-fold cross-validation; ``ua`` and ``ub`` hold out exactly
    10 ratings of every user.
    """
    if name not in RELEASE_SPLITS:
        raise ValueError(f"unknown split {name!r}; choose one of {', '.join(RELEASE_SPLITS)}")
    train = parse_ratings(read_member(f"{name}.base", root), source=f"{name}.base")
    test = parse_ratings(read_member(f"{name}.test", root), source=f"{name}.test")
    return train, test


def split_data_ml100k(data: pd.DataFrame, num_users: int, num_items: int,
                      split_mode: str = "random", test_ratio: float = 0.1,
                      seed: int | None = 0):
    """Split ratings into training and test sets, as D2L does but seeded.

    ``split_mode="random"`` sends each rating to the test set with probability
    ``test_ratio``, drawing from ``numpy.random.default_rng(seed)`` (D2L draws
    from the global generator without a seed, so its split changes every run).
    ``split_mode="seq-aware"`` holds out each user's latest rating (the first
    one, in file order, among ties) and keeps the rest for training.
    """
    if split_mode == "random":
        if not 0 < test_ratio < 1:
            raise ValueError(f"test_ratio must lie in (0, 1), got {test_ratio}")
        rng = np.random.default_rng(seed)
        is_train = rng.uniform(0, 1, len(data)) < 1 - test_ratio
        return data[is_train].reset_index(drop=True), data[~is_train].reset_index(drop=True)
    if split_mode == "seq-aware":
        # idxmax returns the first row with the largest timestamp of each user.
        latest = data.groupby("user_id")["timestamp"].idxmax()
        is_test = np.zeros(len(data), dtype=bool)
        is_test[data.index.get_indexer(latest.values)] = True
        train = data[~is_test].sort_values(["user_id", "timestamp"], kind="stable")
        test = data[is_test].sort_values("user_id", kind="stable")
        return train.reset_index(drop=True), test.reset_index(drop=True)
    raise ValueError(f"unknown split_mode {split_mode!r}; use 'random' or 'seq-aware'")


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


def describe(data: pd.DataFrame, num_users: int, num_items: int) -> dict:
    """The statistics the chapter prints: counts and sparsity."""
    return {
        "ratings": len(data),
        "users": num_users,
        "items": num_items,
        "sparsity": round(1 - len(data) / (num_users * num_items), 6),
    }


class RatingMatrices:
    """Dense train / validation / test matrices of one split, ready for AutoRec.

    Attributes: ``train``, ``valid`` (``None`` without a validation carve-out),
    ``test`` (arrays of shape ``(num_items, num_users)`` for ``kind="item-user"``,
    transposed for ``"user-item"``), the data frames they came from
    (``train_df``, ``valid_df``, ``test_df``), ``num_users``, ``num_items``,
    ``kind`` and ``split``.
    """

    def __init__(self, train_df, valid_df, test_df, num_users, num_items, kind, split):
        self.train_df, self.valid_df, self.test_df = train_df, valid_df, test_df
        self.num_users, self.num_items, self.kind, self.split = num_users, num_items, kind, split
        build = lambda df: None if df is None else interaction_matrix(  # noqa: E731
            df, num_users, num_items, kind)
        self.train, self.valid, self.test = build(train_df), build(valid_df), build(test_df)

    def __repr__(self):
        sizes = ", ".join(f"{n}={len(df)}" for n, df in
                          (("train", self.train_df), ("valid", self.valid_df),
                           ("test", self.test_df)) if df is not None)
        return (f"RatingMatrices(split={self.split!r}, kind={self.kind!r}, "
                f"shape={self.train.shape}, ratings: {sizes})")


def rating_matrices(split: str = "random", seed: int = 0, test_ratio: float = 0.1,
                    valid_ratio: float = 0.0, valid_seed: int | None = None,
                    kind: str = "item-user", root=None) -> RatingMatrices:
    """The matrices of one split of MovieLens 100K, optionally with validation.

    ``split`` is ``"random"`` (D2L's 90/10 split drawn with ``seed``),
    ``"seq-aware"``, or a release split ``"u1"``..``"u5"``, ``"ua"``, ``"ub"``.
    With ``valid_ratio > 0``, that share of the *training* ratings is held out
    at random (with ``valid_seed``, default ``seed + 1000``) as a validation set
    for choosing hyperparameters, so that the test set is never used for it.
    The matrices always have all 943 users and 1,682 items.
    """
    data, num_users, num_items = read_data_ml100k(root)
    if split in RELEASE_SPLITS:
        train, test = read_split(split, root)
    else:
        train, test = split_data_ml100k(data, num_users, num_items, split, test_ratio, seed)
    valid = None
    if valid_ratio:
        vseed = seed + 1000 if valid_seed is None else valid_seed
        train, valid = split_data_ml100k(train, num_users, num_items, "random",
                                         valid_ratio, vseed)
    return RatingMatrices(train, valid, test, num_users, num_items, kind, split)
