"""Framework-neutral pieces of the training loops: history, progress, the
per-epoch evaluation and early stopping."""

from __future__ import annotations

import math
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
    """Early stopping on a validation score: which evaluation was best, and
    when to stop.

    ``mode="min"`` for a score to minimise (RMSE), ``"max"`` for one to
    maximise (NDCG). Training stops after ``patience`` evaluations in a row
    without improvement; ``patience=None`` switches early stopping off (no
    best is tracked), ``patience=math.inf`` tracks the best without stopping.
    ``snapshot()``, if given, is called at each improvement and its result
    kept in :attr:`best_state` (for a PyTorch model,
    ``lambda: copy.deepcopy(net.state_dict())``); :meth:`restore` hands it back.

    A loop with it::

        stopper = EarlyStopping(patience=3, mode="min", snapshot=...)
        for epoch in range(1, num_epochs + 1):
            ...  # train one epoch
            if stopper.step(epoch, valid_rmse):
                break
        stopper.restore(net.load_state_dict)  # the best weights
    """

    def __init__(self, patience: float | None, mode: str = "min", snapshot=None):
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', not {mode!r}")
        if patience is not None and not patience >= 1:
            raise ValueError(f"patience must be at least 1 evaluation (or None), "
                             f"not {patience!r}")
        self.patience, self.mode, self.snapshot = patience, mode, snapshot
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch = None
        self.best_state = None
        self.bad_epochs = 0  # evaluations since the last improvement

    def update(self, epoch: int, score: float) -> tuple[bool, bool]:
        """Record the score of epoch ``epoch``; returns ``(improved, stop)``."""
        if self.patience is None:
            return False, False
        better = score < self.best if self.mode == "min" else score > self.best
        if better:
            self.best, self.best_epoch, self.bad_epochs = score, epoch, 0
            if self.snapshot is not None:
                self.best_state = self.snapshot()
            return True, False
        self.bad_epochs += 1
        return False, self.bad_epochs >= self.patience

    def step(self, epoch: int, score: float) -> bool:
        """Record the score of epoch ``epoch``; whether to stop now."""
        return self.update(epoch, score)[1]

    def restore(self, load) -> bool:
        """Call ``load(best_state)`` (e.g. ``net.load_state_dict``) if a
        snapshot was kept; whether it was."""
        if self.best_state is None:
            return False
        load(self.best_state)
        return True


class EpochEnd:
    """What both training loops do after an epoch's training steps: score the
    reconstruction on the evaluation matrices (every ``eval_every`` epochs and
    after the last), record the epoch in the history, update the progress bar,
    and decide on early stopping.

    ``snapshot()`` (a copy of the current weights) is called whenever the
    first evaluation set's RMSE improves; :attr:`best` holds the last copy
    (kept by :attr:`stopper`, an :class:`EarlyStopping`).
    ``stop_at(epoch, best_epoch)``, if given, is asked after each evaluation
    whether to stop there as well.
    """

    def __init__(self, eval_mats, num_epochs: int, eval_every: int, patience: int | None,
                 snapshot, bar, stop_at=None):
        self.evals = as_eval_dict(eval_mats)
        self.scorer = MaskedScorer(self.evals)
        self.first = next(iter(self.evals), None)
        self.num_epochs, self.eval_every = num_epochs, eval_every
        self.stopper = EarlyStopping(patience, snapshot=snapshot)
        self.bar, self.stop_at = bar, stop_at
        self.history = History()

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
        stop = self.stopper.step(epoch, row[f"{self.first}_rmse"])
        return stop or bool(self.stop_at and self.stop_at(epoch, self.stopper.best_epoch))

    @property
    def best(self):
        """The last snapshot of the best weights, or None."""
        return self.stopper.best_state

    def finish(self, restore) -> History:
        """Call ``restore(best)`` if early stopping kept a copy; the history."""
        if self.stopper.restore(restore):
            self.history.best_epoch = self.stopper.best_epoch
        return self.history
