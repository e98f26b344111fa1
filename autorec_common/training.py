"""Framework-neutral pieces of the training loops: history, progress, the
per-epoch evaluation and early stopping."""

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
            where = np.flatnonzero(flat != 0)  # the entries np.flatnonzero(flat) finds
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


class EpochEnd:
    """What both training loops do after an epoch's training steps: score the
    reconstruction on the evaluation matrices (every ``eval_every`` epochs and
    after the last), record the epoch in the history, update the progress bar,
    and decide on early stopping.

    ``snapshot()`` (a copy of the current weights) is called whenever the
    first evaluation set's RMSE improves; :attr:`best` holds the last copy.
    ``stop_at(epoch, best_epoch)``, if given, is asked after each evaluation
    whether to stop there as well.
    """

    def __init__(self, eval_mats, num_epochs: int, eval_every: int, patience: int | None,
                 snapshot, bar, stop_at=None):
        self.evals = as_eval_dict(eval_mats)
        self.scorer = MaskedScorer(self.evals)
        self.first = next(iter(self.evals), None)
        self.num_epochs, self.eval_every = num_epochs, eval_every
        self.stopper = EarlyStopping(patience)
        self.snapshot, self.bar, self.stop_at = snapshot, bar, stop_at
        self.history, self.best = History(), None

    def __call__(self, epoch: int, train_loss: float, seconds: float, reconstruct) -> bool:
        """Record epoch ``epoch``; ``reconstruct()`` returns the reconstruction
        of the training matrix as a NumPy array. Returns whether to stop."""
        row = {"epoch": epoch, "train_loss": train_loss, "seconds": seconds}
        evaluate = bool(self.evals) and (epoch % self.eval_every == 0
                                         or epoch == self.num_epochs)
        if evaluate:
            for name, rmse in self.scorer(reconstruct()).items():
                row[f"{name}_rmse"] = rmse
        self.history.rows.append(row)
        self.bar.set_postfix({k: round(v, 4) for k, v in row.items()
                              if k.endswith(("loss", "rmse"))})
        if not evaluate:
            return False
        improved, stop = self.stopper.update(epoch, row[f"{self.first}_rmse"])
        if improved:
            self.best = self.snapshot()
        return stop or bool(self.stop_at and self.stop_at(epoch, self.stopper.best_epoch))

    def finish(self, restore) -> History:
        """Call ``restore(best)`` if early stopping kept a copy; the history."""
        if self.best is not None:
            restore(self.best)
            self.history.best_epoch = self.stopper.best_epoch
        return self.history
