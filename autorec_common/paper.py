"""The AutoRec paper's table, reproduced: ``python -m autorec_common.paper --data ml-1m``.

Trains I-AutoRec (one row per item) with the protocol of Sedhain et al.,
"AutoRec: Autoencoders Meet Collaborative Filtering" (WWW 2015): random 90/10
splits of a MovieLens release, several runs, 500 sigmoid hidden units, an
identity decoder and an L2 regulariser on the weights; users or items with no
training rating get the default rating 3. It prints each run's test RMSE, their
mean with a 95% interval beside the paper's figure, and the time it took.

The release is read through ``autorec_common.data`` (downloaded once, checked
against its published checksum); training runs on the exact sparse path
(``autorec_common.sparse``), so 10M and 20M fit in a laptop's memory.

Where the paper is silent or used other machinery, choices made here: the
paper minimised its objective with L-BFGS or RProp; we use Adam on batches,
with the regulariser as Adam's weight decay at the scale that makes it the
paper's (:func:`weight_decay`). The number of epochs is chosen per run by early
stopping on a validation carve-out of the training ratings (never on the test
ratings); predictions are clipped to the rating scale.
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np

# Sedhain et al. 2015, Table 1(a)/(b): I-AutoRec test RMSE.
PAPER_RMSE = {"ml-1m": 0.831, "ml-10m": 0.782}
DEFAULT_RATING = 3.0  # the paper's prediction for users or items unseen in training
HIDDEN = 500
BATCH = 256
LR = 0.002  # Adam's learning rate, the chapter's
LAMBDA = 1.0  # the paper's regulariser strength lambda (its grid: 0.001 ... 1000)


def weight_decay(lam: float, items: int, users: int) -> float:
    """Adam's weight decay that makes our per-batch loss the paper's objective.

    The paper minimises ``sum_obs (r - h)^2 + lam / 2 * (|W|^2 + |V|^2)``. Our
    loss averages ``0.5 * (r - h)^2`` over all ``items * users`` entries (of a
    batch; over an epoch, of the matrix): that is the paper's data term divided
    by ``2 * items * users``, so the regulariser's gradient ``lam * w`` must be
    divided by the same.
    """
    return lam / (2 * items * users)


def interval95(values) -> tuple[float, float, float]:
    """``(mean, low, high)``: the mean and its 95% Student-t interval."""
    from scipy import stats

    values = np.asarray(values, dtype=np.float64)
    mean = float(values.mean())
    if len(values) < 2:
        return mean, float("nan"), float("nan")
    half = float(stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1)
                 / math.sqrt(len(values)))
    return mean, mean - half, mean + half


def run_once(data, num_users: int, num_items: int, seed: int, *, scale=(1, 5, 1),
             hidden: int = HIDDEN, lam: float = LAMBDA, epochs: int = 200,
             patience: int = 10, batch_size: int = BATCH, lr: float = LR,
             valid_ratio: float = 0.05, progress: bool = False) -> dict:
    """One run of the protocol on split ``seed``: ``{"rmse", "epochs", "seconds"}``."""
    import torch

    from . import sparse as ars
    from . import torch as art
    from .data import sparse_interaction_matrix, split_ratings

    start = time.perf_counter()
    train_df, test_df = split_ratings(data, "random", 0.1, seed)
    fit_df, valid_df = split_ratings(train_df, "random", valid_ratio, seed + 1000)

    def matrix(df):
        return sparse_interaction_matrix(df, num_users, num_items, "item-user")

    fit, valid, train, test = (matrix(df) for df in (fit_df, valid_df, train_df, test_df))
    art.seed_everything(seed)
    net = art.AutoRec(hidden, num_users, dropout=0.0)
    history = ars.train_sparse(
        net, fit, {"valid": valid}, num_epochs=epochs, batch_size=batch_size, lr=lr,
        wd=weight_decay(lam, num_items, num_users), seed=seed, patience=patience,
        progress=progress, desc=f"split {seed}", device=torch.device("cpu"))
    # Test: encode each item from its training ratings (the validation ones too).
    model = ars.SparseAutoRec(net)
    where = ars.Rows(test)
    pred = ars.predict_at(model, ars.Rows(train), where).astype(np.float64)
    rows = np.repeat(np.arange(test.shape[0]), np.diff(where.indptr.numpy()))
    cols = where.indices.numpy()
    unseen = (np.diff(train.indptr)[rows] == 0) | (np.bincount(train.indices,
                                                               minlength=num_users)[cols] == 0)
    pred[unseen] = DEFAULT_RATING
    pred = np.clip(pred, scale[0], scale[1])
    rmse = float(np.sqrt(np.mean((pred - where.data.numpy()) ** 2)))
    return {"rmse": rmse, "epochs": history.best_epoch or len(history.rows),
            "unseen": int(unseen.sum()), "seconds": time.perf_counter() - start}


def reproduce(release: str = "ml-1m", runs: int = 5, root=None, log=print, **kwargs) -> dict:
    """The protocol's ``runs`` runs on ``release``; the runs and their summary."""
    from .data import load_ratings, release as release_record

    rel = release_record(release)
    start = time.perf_counter()
    data, num_users, num_items = load_ratings(rel.name, root)
    log(f"{rel.title}: {len(data):,} ratings, {num_users:,} users, {num_items:,} items "
        f"(read in {time.perf_counter() - start:.0f} s)")
    results = []
    for seed in range(runs):
        res = run_once(data, num_users, num_items, seed, scale=rel.scale, **kwargs)
        results.append(res)
        log(f"  split {seed}: test RMSE {res['rmse']:.4f} after {res['epochs']} epochs "
            f"({res['seconds']:.0f} s)")
    mean, low, high = interval95([r["rmse"] for r in results])
    return {"release": rel.name, "title": rel.title, "runs": results, "mean": mean,
            "low": low, "high": high, "paper": PAPER_RMSE.get(rel.name),
            "seconds": time.perf_counter() - start}


def summary(out: dict) -> str:
    """The line the command ends with."""
    n = len(out["runs"])
    spread = (f"95% interval {out['low']:.4f}-{out['high']:.4f}" if n > 1
              else "one run: no interval")
    paper = (f"the paper: {out['paper']:.3f}" if out["paper"] is not None
             else "the paper reports no I-AutoRec figure for this release")
    minutes = out["seconds"] / 60
    took = f"{minutes:.1f} min" if minutes >= 1 else f"{out['seconds']:.0f} s"
    return (f"I-AutoRec on {out['title']}, {n} random 90/10 splits: test RMSE "
            f"{out['mean']:.4f} ({spread}); {paper}. Took {took}.")


def main(argv=None) -> int:
    from .data import RELEASES, DataError

    parser = argparse.ArgumentParser(
        prog="python -m autorec_common.paper",
        description="Reproduce the AutoRec paper's I-AutoRec figure on a MovieLens release.")
    parser.add_argument("--data", default="ml-1m", choices=list(RELEASES),
                        help="the release (default ml-1m; the paper reports ml-1m and ml-10m)")
    parser.add_argument("--runs", type=int, default=5, help="random splits (default 5)")
    parser.add_argument("--root", help="the data cache folder (default: autorec_common's)")
    parser.add_argument("--hidden", type=int, default=HIDDEN)
    parser.add_argument("--lam", type=float, default=LAMBDA,
                        help=f"the paper's regulariser strength (default {LAMBDA})")
    parser.add_argument("--epochs", type=int, default=200,
                        help="most epochs per run; early stopping on validation ends sooner")
    parser.add_argument("--patience", type=int, default=10,
                        help="epochs without a better validation RMSE before stopping")
    parser.add_argument("--batch", type=int, default=BATCH)
    parser.add_argument("--lr", type=float, default=LR, help=f"Adam's (default {LR})")
    parser.add_argument("--progress", action="store_true", help="show a progress bar")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    try:
        out = reproduce(args.data, args.runs, args.root, hidden=args.hidden, lam=args.lam,
                        epochs=args.epochs, patience=args.patience, batch_size=args.batch,
                        lr=args.lr,
                        progress=args.progress)
    except DataError as err:
        print(f"Cannot read {args.data}: {err}", file=sys.stderr)
        return 2
    print(summary(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
