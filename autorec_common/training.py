"""Framework-neutral pieces of the training loops: history and progress."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from tqdm.auto import tqdm


@dataclass
class History:
    """Per-epoch record of one training run.

    ``rows`` holds one dict per epoch: ``epoch``, ``train_loss`` (the mean of
    the training objective over the epoch's batches), ``<name>_rmse`` for each
    evaluation matrix, and ``seconds`` (wall time of the epoch's training
    steps, evaluation excluded). ``best_epoch`` is set when early stopping
    chose the weights to keep.
    """

    rows: list = field(default_factory=list)
    best_epoch: int | None = None

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows).set_index("epoch")

    def last(self, column: str) -> float:
        return float(self.rows[-1][column])

    def final(self, name: str = "test") -> float:
        """The RMSE on evaluation set ``name`` of the weights the run kept."""
        epoch = self.best_epoch if self.best_epoch is not None else self.rows[-1]["epoch"]
        return float(self.rows[epoch - 1][f"{name}_rmse"])

    @property
    def seconds_per_epoch(self) -> float:
        """Median training time per epoch (robust to a slow first epoch)."""
        return float(pd.Series([r["seconds"] for r in self.rows]).median())


def progress_bar(num_epochs: int, progress: bool, desc: str):
    return tqdm(range(1, num_epochs + 1), disable=not progress, desc=desc,
                unit="epoch", leave=True)


def as_eval_dict(eval_mats) -> dict:
    """Accept ``None``, one matrix (called "test"), or a name-to-matrix mapping."""
    if eval_mats is None:
        return {}
    if isinstance(eval_mats, dict):
        return dict(eval_mats)
    return {"test": eval_mats}


class MaskedScorer:
    """Masked RMSE of a reconstruction against fixed evaluation matrices.

    Gives the same numbers as ``masked_rmse(recon, mat)`` for each matrix, but
    finds the observed entries once, before training, and converts only those
    to float64 after each epoch (instead of two whole matrices per epoch).
    """

    def __init__(self, evals: dict):
        self.shapes, self.targets = {}, {}
        for name, mat in evals.items():
            flat = np.asarray(mat).reshape(-1)
            where = np.flatnonzero(flat)
            if where.size == 0:
                raise ValueError(f"no observed entries to score in {name!r}")
            self.shapes[name] = np.shape(mat)
            self.targets[name] = where, flat[where].astype(np.float64)

    def __call__(self, recon) -> dict:
        """``{name: rmse}`` for each evaluation matrix."""
        recon = np.asarray(recon)
        flat = recon.reshape(-1)
        scores = {}
        for name, (where, target) in self.targets.items():
            if recon.shape != self.shapes[name]:
                raise ValueError(f"shapes differ: prediction {recon.shape}, "
                                 f"target {self.shapes[name]}")
            err = flat[where].astype(np.float64) - target
            scores[name] = float(np.sqrt(np.sum(err ** 2) / where.size))
        return scores


class EarlyStopping:
    """Track the first evaluation set's RMSE; say when to stop and what was best."""

    def __init__(self, patience: int | None):
        self.patience = patience
        self.best = float("inf")
        self.best_epoch = None
        self.bad_epochs = 0

    def update(self, epoch: int, rmse: float) -> tuple[bool, bool]:
        """Returns ``(improved, stop)``."""
        if self.patience is None:
            return False, False
        if rmse < self.best:
            self.best, self.best_epoch, self.bad_epochs = rmse, epoch, 0
            return True, False
        self.bad_epochs += 1
        return False, self.bad_epochs >= self.patience
