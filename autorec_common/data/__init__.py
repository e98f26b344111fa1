"""MovieLens (100K to 32M): fetch, verify, read, split, build interaction matrices.

NumPy and pandas only: no deep-learning framework is imported here. The
package is split by concern:

* :mod:`.releases`: every release as a record: URL, size, checksum and its
  source, file format, rating scale, licence (:data:`RELEASES`);
* :mod:`.cache`: where the data lives, the cache lock, quarantine;
* :mod:`.verify`: checking an archive before any byte of it is used;
* :mod:`.fetch`: the download, with its limits, and reading verified members;
* :mod:`.parsing`: strict parsers that name the file and line of an error;
* :mod:`.readers`: the book's readers and splits;
* :mod:`.matrices`: interaction matrices, dense or sparse, ready for AutoRec.

Any release reads as 100K does: ``load_ratings("ml-1m")`` gives
``(data, num_users, num_items)`` and ``rating_matrices(release="ml-1m",
sparse=True)`` the split's matrices.

An archive is downloaded once into a cache folder (see :func:`data_dir`) and
verified before any byte of it is used:

* an archive whose checksum is the published one is trusted whole;
* any other archive (a re-compressed copy of 100K, say) is trusted only if
  every member read matches the SHA-256 recorded in :data:`MEMBER_SHA256`.

Every failure raises a :class:`DataError` that says what to do. The settings
(limits, checksums, URL) live in the submodule that uses them: patch them
there, e.g. ``autorec_common.data.fetch.DOWNLOAD_DEADLINE``.
"""

from .cache import (CORRUPT_PREFIX, DATA_ENV, PART_PREFIX, archive_path, data_dir,
                    in_checkout)
from .errors import CorruptArchiveError, DataError, DataUnavailableError, MalformedDataError
from .fetch import (URL_ENV, data_url, download_ml100k, download_release, fetch_ml100k,
                    fetch_release, open_member, read_member)
from .matrices import (RatingMatrices, interaction_matrix, load_data_ml100k,
                       rating_matrices, sparse_interaction_matrix)
from .parsing import MAX_TIMESTAMP, parse_items, parse_ratings, parse_ratings_table
from .readers import (describe, load_ratings, read_data_ml100k, read_items, read_split,
                      split_data_ml100k, split_ratings)
from .releases import (ARCHIVE_NAME, CITATION, GENRES, MEMBER_SHA256, OFFICIAL_SHA1,
                       RATING_COLUMNS, RELEASE_SPLITS, RELEASES, URL, Release, release)
from .verify import verify_archive

__all__ = [
    "ARCHIVE_NAME", "CITATION", "CORRUPT_PREFIX", "DATA_ENV", "GENRES", "MAX_TIMESTAMP",
    "MEMBER_SHA256", "OFFICIAL_SHA1", "PART_PREFIX", "RATING_COLUMNS", "RELEASE_SPLITS",
    "RELEASES", "URL", "URL_ENV", "CorruptArchiveError", "Release", "release",
    "download_release", "fetch_release", "open_member", "load_ratings", "parse_ratings_table",
    "sparse_interaction_matrix", "split_ratings", "DataError", "DataUnavailableError",
    "MalformedDataError", "RatingMatrices", "archive_path", "data_dir", "data_url",
    "describe", "download_ml100k", "fetch_ml100k", "in_checkout", "interaction_matrix",
    "load_data_ml100k", "parse_items", "parse_ratings", "rating_matrices", "read_data_ml100k",
    "read_items", "read_member", "read_split", "split_data_ml100k", "verify_archive",
]
