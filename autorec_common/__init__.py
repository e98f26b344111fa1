"""Shared code of the AutoRec notebooks: MovieLens 100K and the RMSE evaluator.

The top level is framework-neutral (NumPy and pandas). Framework adapters are
imported on demand::

    from autorec_common import torch as art    # PyTorch; needs no MXNet
    from autorec_common import mxnet as arm    # MXNet Gluon
"""

from .data import (CITATION, CorruptArchiveError, DataError, DataUnavailableError,
                   MalformedDataError, archive_path, data_dir, describe,
                   fetch_ml100k, interaction_matrix, load_data_ml100k,
                   RatingMatrices, rating_matrices, read_data_ml100k, read_items,
                   read_split, split_data_ml100k, verify_archive)
from .metrics import masked_mae, masked_rmse
from .results import record
from .sweep import grid, run_sweep, summarize

__all__ = [
    "CITATION", "CorruptArchiveError", "DataError", "DataUnavailableError",
    "MalformedDataError", "archive_path", "data_dir", "describe", "fetch_ml100k",
    "grid", "interaction_matrix", "load_data_ml100k", "masked_mae", "masked_rmse",
    "RatingMatrices", "rating_matrices", "read_data_ml100k", "read_items", "read_split", "record", "run_sweep",
    "split_data_ml100k", "summarize", "verify_archive",
]
__version__ = "0.1.0"
