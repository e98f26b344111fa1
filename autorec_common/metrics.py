"""Rating-prediction metrics over observed entries only (NumPy)."""

from __future__ import annotations

import numpy as np


def _masked_errors(pred, target, mask=None):
    pred = np.asarray(pred, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if pred.shape != target.shape:
        raise ValueError(f"shapes differ: prediction {pred.shape}, target {target.shape}")
    mask = target != 0 if mask is None else np.asarray(mask, dtype=bool)
    count = int(mask.sum())
    if count == 0:
        raise ValueError("no observed entries to score (the mask is empty)")
    return (pred - target)[mask], count


def masked_rmse(pred, target, mask=None) -> float:
    """Root mean squared error over the observed entries of ``target``.

    An entry counts when ``mask`` is true there; by default, when ``target``
    is non-zero (an observed rating, since ratings run from 1 to 5).
    """
    err, count = _masked_errors(pred, target, mask)
    return float(np.sqrt(np.sum(err ** 2) / count))


def masked_mae(pred, target, mask=None) -> float:
    """Mean absolute error over the observed entries of ``target``."""
    err, count = _masked_errors(pred, target, mask)
    return float(np.sum(np.abs(err)) / count)
