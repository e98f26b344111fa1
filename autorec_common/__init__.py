"""Shared code of the AutoRec notebooks: MovieLens (100K to 32M) and the RMSE evaluator.

The top level is framework-neutral (NumPy and pandas). Framework adapters are
imported on demand::

    from autorec_common import torch as art    # PyTorch; needs no MXNet
    from autorec_common import mxnet as arm    # MXNet Gluon
"""

from ._threads import apply_thread_defaults

apply_thread_defaults()  # before any library that loads OpenMP (see _threads)

from .data import (CITATION, RELEASES, CorruptArchiveError, DataError,
                   DataUnavailableError, MalformedDataError, RatingMatrices, archive_path,
                   data_dir, describe, fetch_ml100k, fetch_release, interaction_matrix,
                   load_data_ml100k, load_ratings, rating_matrices, read_data_ml100k,
                   read_items, read_split, sparse_interaction_matrix, split_data_ml100k,
                   split_ratings, verify_archive)
from . import exercises
from .metrics import masked_mae, masked_rmse
from .results import record
from .sweep import format_mean_sd, grid, mean_sd, mean_sd_table, run_sweep, summarize

__all__ = [
    "CITATION", "RELEASES", "fetch_release", "load_ratings", "sparse_interaction_matrix",
    "split_ratings", "CorruptArchiveError", "DataError", "DataUnavailableError",
    "MalformedDataError", "archive_path", "data_dir", "describe", "fetch_ml100k",
    "format_mean_sd", "grid", "interaction_matrix", "load_data_ml100k", "masked_mae", "masked_rmse", "mean_sd",
    "mean_sd_table",
    "RatingMatrices", "rating_matrices", "read_data_ml100k", "read_items", "read_split", "record", "run_sweep",
    "split_data_ml100k", "summarize", "verify_archive",
]
__version__ = "0.2.0"
