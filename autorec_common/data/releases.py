"""Every MovieLens release, declared as data: one record per archive.

Each :class:`Release` says where the archive is published, its size and
checksum and where that checksum was published, how its ratings are written,
their scale, and the licence's terms. The fetch, verification and readers
read these records and nothing else, so one code path serves every release.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from types import MappingProxyType

CITATION = (
    "F. Maxwell Harper and Joseph A. Konstan. 2015. The MovieLens Datasets: "
    "History and Context. ACM Transactions on Interactive Intelligent Systems "
    "5, 4: 19:1-19:19. https://doi.org/10.1145/2827872"
)

#: The terms every MovieLens release shares (from each release's README).
LICENCE = (
    "GroupLens usage licence: research use; no redistribution without "
    "permission; no commercial use; cite Harper and Konstan (2015).")

#: How the messages name each checksum.
HASH_NAMES = {"sha1": "SHA-1", "sha256": "SHA-256", "md5": "MD5"}

BASE_URL = "https://files.grouplens.org/datasets/movielens/"
TFDS = ("TensorFlow Datasets, tensorflow_datasets/url_checksums/movielens.txt "
        "(SHA-256 and size of the GroupLens file)")
GROUPLENS_MD5 = "GroupLens' published .md5 beside the archive"

#: Size in bytes and SHA-256 of each member of the original release that this
#: module may read. A local archive that is not byte-identical to the official
#: one is accepted member by member against this table.
_MEMBER_SHA256 = {
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



@dataclass(frozen=True)
class Release:
    """One MovieLens archive: where it is, how to check it, how to read it.

    ``format`` is ``"tab"`` (100K's ``u.data``: user, item, rating, timestamp
    separated by tabs), ``"dat"`` (``UserID::MovieID::Rating::Timestamp``) or
    ``"csv"`` (``userId,movieId,rating,timestamp`` with that header line).
    ``scale`` is ``(lowest, highest, step)``. Checksums that are ``None`` were
    not published or could not be confirmed from a source; ``checksum_source``
    says which is which. ``members`` maps member names to ``(size, SHA-256)``
    for a release whose re-compressed copies may be trusted member by member.
    """

    name: str
    title: str
    folder: str
    ratings: str
    format: str
    scale: tuple
    counts: tuple
    size: int | None
    sha256: str | None
    md5: str | None
    checksum_source: str
    max_bytes: int
    max_member_bytes: int
    sha1: str | None = None
    members: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    licence: str = LICENCE

    @property
    def url(self) -> str:
        """The GroupLens address of the archive."""
        return BASE_URL + self.archive

    @property
    def archive(self) -> str:
        """The archive's file name, e.g. ``ml-1m.zip``."""
        return self.name + ".zip"

    @property
    def known_hash(self) -> str | None:
        """The checksum checked, as pooch writes it (``sha256:...``): SHA-1 where
        this project has checked it itself (100K), else SHA-256, else MD5."""
        for algorithm in ("sha1", "sha256", "md5"):
            if getattr(self, algorithm):
                return f"{algorithm}:{getattr(self, algorithm)}"
        return None

    @property
    def half_stars(self) -> bool:
        """Whether ratings come in steps of 0.5 (10M on) rather than whole stars."""
        return self.scale[2] != 1

    def replace(self, **changes) -> Release:
        """A copy with some fields changed (for a mirror's copy, or in tests)."""
        return dataclasses.replace(self, **changes)


_MiB = 1 << 20

#: The releases by name. Counts are (ratings, users, rated items), from each\n#: README and the data (None: not confirmed here).
RELEASES = MappingProxyType({r.name: r for r in (
    Release("ml-100k", "MovieLens 100K", "ml-100k", "u.data", "tab", (1, 5, 1),
            (100_000, 943, 1_682), 4_924_029,
            "50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229",
            "0e33842e24a9c977be4e0107933c0723",
            TFDS + "; SHA-1 and member SHA-256 computed by this project from the "
            "GroupLens file; MD5 from " + GROUPLENS_MD5,
            max_bytes=32 * _MiB, max_member_bytes=16 * _MiB,
            sha1="cd4dcac4241c8a4ad7badc7ca635da8a69dddb83",
            members=MappingProxyType(_MEMBER_SHA256)),
    Release("ml-1m", "MovieLens 1M", "ml-1m", "ratings.dat", "dat", (1, 5, 1),
            (1_000_209, 6_040, 3_706), 5_917_549,
            "a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20",
            "c4d9eecfca2ab87c1945afe126590906",
            TFDS + "; MD5 from " + GROUPLENS_MD5,
            max_bytes=32 * _MiB, max_member_bytes=64 * _MiB),
    Release("ml-10m", "MovieLens 10M", "ml-10M100K", "ratings.dat", "dat", (0.5, 5, 0.5),
            (10_000_054, 69_878, 10_677), None, None,
            "ce571fd55effeba0271552578f2648bd",
            "MD5 only: " + GROUPLENS_MD5 + ", as copied in eli-osherovich/"
            "papers_with_code datasets/movielens/dl_config.py (not confirmed at "
            "GroupLens here); size not published in a source found",
            max_bytes=160 * _MiB, max_member_bytes=512 * _MiB),
    Release("ml-20m", "MovieLens 20M", "ml-20m", "ratings.csv", "csv", (0.5, 5, 0.5),
            (20_000_263, 138_493, 26_744), 198_702_078,
            "96f243c338a8665f6bcc89c53edf6ee39162a846940de6b7c8c48aeada765ff3",
            "cd245b17a1ae2cc31bb14903e1204af3",
            TFDS + "; MD5 from " + GROUPLENS_MD5,
            max_bytes=256 * _MiB, max_member_bytes=1024 * _MiB),
    Release("ml-25m", "MovieLens 25M", "ml-25m", "ratings.csv", "csv", (0.5, 5, 0.5),
            (25_000_095, 162_541, 59_047), 261_978_986,
            "8b21cfb7eb1706b4ec0aac894368d90acf26ebdfb6aced3ebd4ad5bd1eb9c6aa",
            "6b51fb2759a8657d3bfcbfc42b592ada",
            TFDS + "; MD5 from " + GROUPLENS_MD5,
            max_bytes=320 * _MiB, max_member_bytes=1024 * _MiB),
    Release("ml-32m", "MovieLens 32M", "ml-32m", "ratings.csv", "csv", (0.5, 5, 0.5),
            (32_000_204, 200_948, None), None, None,
            "d472be332d4daa821edc399621853b57",
            "MD5 only: " + GROUPLENS_MD5 + " (ml-32m.zip.md5), as quoted in a "
            "third-party download script (not confirmed at GroupLens here); size "
            "not published in a source found",
            max_bytes=384 * _MiB, max_member_bytes=1280 * _MiB),
)})


def release(name: str | Release) -> Release:
    """The record of a release by name (``"ml-1m"``, ...), or the record itself."""
    if isinstance(name, Release):
        return name
    try:
        return RELEASES[name]
    except KeyError:
        raise ValueError(f"unknown MovieLens release {name!r}; choose one of "
                         f"{', '.join(RELEASES)}") from None


_FORMATS = {"tab": "`u.data`, tab-separated", "dat": "`ratings.dat`, `::`-separated",
            "csv": "`ratings.csv`, with a header"}


def release_table() -> str:
    """The releases as the Markdown table the README shows (a test keeps them equal)."""
    rows = ["| release | ratings | users | rated movies | stars | file | checksum checked |",
            "|---|---:|---:|---:|---|---|---|"]
    for r in RELEASES.values():
        ratings, users, items = (f"{c:,}" if c is not None else "?" for c in r.counts)
        low, high, step = r.scale
        stars = f"{low:g}-{high:g} in steps of {step:g}"
        algorithm = r.known_hash.split(":")[0] if r.known_hash else None
        checked = HASH_NAMES.get(algorithm, "none")
        rows.append(f"| `{r.name}` | {ratings} | {users} | {items} | {stars} | "
                    f"{_FORMATS[r.format]} | {checked} |")
    return "\n".join(rows)


# MovieLens 100K's names, kept for the book's code (the record is the source).
URL = RELEASES["ml-100k"].url
ARCHIVE_NAME = RELEASES["ml-100k"].archive
OFFICIAL_SHA1 = RELEASES["ml-100k"].sha1
MEMBER_SHA256 = RELEASES["ml-100k"].members

RELEASE_SPLITS = ("u1", "u2", "u3", "u4", "u5", "ua", "ub")
RATING_COLUMNS = ["user_id", "item_id", "rating", "timestamp"]
GENRES = [
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy",
    "Crime", "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror",
    "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
]
