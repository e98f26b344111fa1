"""The evidence protocol of the exercise and comparison notebooks.

One way to tune and to compare, so that every verdict in the collection rests
on the same kind of evidence:

1. **Choices on validation only.** :func:`tune` picks a configuration by its
   validation RMSE. Where the winner sits at an edge of a numeric axis, the
   grid is extended one step past that edge (geometrically, by the ratio of
   the edge's two nearest values) and tuned again, until the winner is
   interior or a stated bound is reached; the result says which.
2. **No chosen run stopped by an epoch cap.** :func:`fit` trains one
   :class:`AutoRecConfig` with early stopping on validation under a cap of
   epochs. Early stopping waits ``patience`` evaluations, ``eval_every`` epochs
   apart, so a run whose best epoch lies within ``patience * eval_every``
   epochs of the cap was cut by the cap (:func:`at_cap`): it goes on with the
   cap doubled, up to ``max_epochs``. A run still at the cap there is marked
   ``at_cap``, and its result must be reported "under a budget of N epochs".
3. **Five seeds, paired.** Every configuration compared runs with the same
   :data:`SEEDS` on the same split, so seed ``s`` of one is paired with seed
   ``s`` of the other. :func:`paired_difference` gives the mean difference
   with a 95% t-interval; :meth:`Difference.verdict` names a direction only
   when the interval excludes 0, and :meth:`Difference.describe` says it in
   words.
4. **Split checks.** A headline comparison is repeated on several splits
   (:data:`SPLIT_SEEDS` of the random 90/10 split, or ``"u1"``..``"u5"``),
   pairing by split instead of by seed (:func:`split_check`). Those splits
   share most of their training ratings, so the interval is Nadeau and
   Bengio's corrected resampled t-interval (:func:`paired_difference` with
   ``test_train_ratio``), wider than the plain one.
5. **One reference I-AutoRec.** :data:`REFERENCE` is the book's model with
   the learning rate chosen by this protocol in notebook 05 (05_hidden_size,
   its 500-unit arm, at the lower bound lr 1e-3). That notebook records the
   reference's test RMSE over :data:`SEEDS` on the seed-0 random split
   (validation carve-out 10%) as ``reference_test_rmse`` in
   ``results/05_hidden_size.json``; other notebooks quote it with
   :func:`reference_result` and, where they pair their own variants with it,
   recompute it with :func:`fit` and the same seeds, which gives the same
   numbers on the same machine. :func:`recorded` reads any recorded result
   (the reference's with :func:`reference_result`), so that a statement two
   notebooks share comes from one recorded number.

The training function every helper here calls has the shape of
:func:`autorec_common.run_sweep`'s: ``train(seed=..., **config)`` returning a
mapping of metrics that includes ``valid_rmse``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from .sweep import grid, mean_sd, mean_sd_table, run_sweep  # noqa: F401 (re-exported)

SEEDS = (0, 1, 2, 3, 4)
"""The seeds of every comparison: initial weights, batch order, dropout."""

SPLIT_SEEDS = (0, 1, 2, 3, 4)
"""Seeds of the random 90/10 split for split checks (seed 0 is the usual one)."""

@dataclass(frozen=True)
class AutoRecConfig:
    """The settings of one I-AutoRec run under the protocol; :func:`fit` takes
    it whole. The defaults are the book's (D2L 16.4); :data:`REFERENCE` is this
    collection's reference. Change a field with ``dataclasses.replace``::

        config = dataclasses.replace(pr.REFERENCE, num_hidden=100, lr=0.002)
        pr.fit(mats, seed, config)
    """

    num_hidden: int = 500      # hidden units k: art.AutoRec(num_hidden, ...)
    dropout: float = 0.05      # dropout on the hidden layer's output
    lr: float = 0.002          # Adam's learning rate: torch.optim.Adam(lr=...)
    wd: float = 1e-5           # Adam's weight decay (L2 on every parameter)
    batch_size: int = 256      # items (rows of the rating matrix) per batch
    num_epochs: int = 120      # the first epoch cap; a multiple of eval_every
    max_epochs: int | None = None  # the cap is doubled up to this (None: 4 * num_epochs)
    eval_every: int = 4        # epochs between two validation RMSEs
    patience: int = 2          # evaluations without improvement before stopping

    # -- kept for compatibility only: notebooks written when the configuration
    # was a dict use pr.REFERENCE["hidden"], {**pr.REFERENCE, ...} and .items(),
    # with the old names. New code reads fields and uses dataclasses.replace.

    _LEGACY = ("hidden", "lr", "wd", "dropout", "batch_size", "num_epochs",
               "eval_every", "patience")

    def keys(self):
        """The old dict's keys (``hidden`` for ``num_hidden``); compatibility."""
        return list(self._LEGACY)

    def __getitem__(self, key):
        if key not in self._LEGACY and key not in _FIELDS:
            raise KeyError(key)
        return getattr(self, "num_hidden" if key == "hidden" else key)

    def items(self):
        """The old dict's items; compatibility."""
        return [(k, self[k]) for k in self._LEGACY]

    def __eq__(self, other):
        if isinstance(other, AutoRecConfig):
            return dataclasses.astuple(self) == dataclasses.astuple(other)
        if isinstance(other, Mapping):  # an old-style dict of settings
            try:
                return self == AutoRecConfig().updated(**other)
            except TypeError:
                return False
        return NotImplemented

    def __hash__(self):
        return hash(tuple(tuple(v) if isinstance(v, list) else v
                          for v in dataclasses.astuple(self)))

    def updated(self, **changes) -> AutoRecConfig:
        """A copy with ``changes``, which may use the old name ``hidden`` for
        ``num_hidden`` (compatibility); an unknown name is a TypeError."""
        if "hidden" in changes:
            if "num_hidden" in changes:
                raise TypeError("give num_hidden or its old name hidden, not both")
            changes["num_hidden"] = changes.pop("hidden")
        unknown = sorted(set(changes) - set(_FIELDS))
        if unknown:
            raise TypeError(f"AutoRecConfig has no field {', '.join(unknown)}; "
                            f"its fields: {', '.join(_FIELDS)}")
        return dataclasses.replace(self, **changes)


_FIELDS = tuple(f.name for f in dataclasses.fields(AutoRecConfig))

REFERENCE = AutoRecConfig(lr=0.001)
"""The reference I-AutoRec: the book's model and settings (500 sigmoid units,
identity decoder, dropout 0.05, Adam with weight decay ``wd`` 1e-5, batches of
256 items) with its learning rate chosen on validation in notebook 05, where
it stops at the protocol's lower bound 1e-3, trained with early stopping on
validation (evaluated every ``eval_every`` epochs, stopping after
``patience`` evaluations without improvement, at most ``num_epochs`` epochs:
:func:`fit` raises the cap if a run ends near it)."""

REFERENCE_NOTEBOOK, REFERENCE_KEY = "05_hidden_size", "reference_test_rmse"


# -- tuning -------------------------------------------------------------------

def cached(train: Callable[..., Mapping]) -> Callable[..., dict]:
    """``train`` with its results remembered by ``(seed, config)``, so that
    tuning, final runs and later sections share runs instead of repeating them.
    The cache is ``wrapper.cache``."""
    cache: dict = {}

    def wrapper(seed, **config):
        key = (seed, tuple(sorted(config.items())))
        if key not in cache:
            cache[key] = dict(train(seed=seed, **config))
        return cache[key]

    wrapper.cache = cache
    return wrapper


def _extend(values: Sequence, best, bound: tuple | None):
    """The value one step past the edge of ``values`` where ``best`` lies, or
    None when ``best`` is interior or the bound is already reached."""
    values = sorted(values)
    if len(values) < 2 or best not in (values[0], values[-1]):
        return None
    low, high = bound if bound is not None else (-math.inf, math.inf)
    integer = all(isinstance(v, (int, np.integer)) for v in values)
    if best == values[0]:
        step = values[1] / values[0] if values[0] > 0 else None
        new = values[0] / step if step else values[0] - (values[1] - values[0])
        new = max(new, low)
        if integer:
            new = int(round(new))
        return new if new < values[0] else None
    step = values[-1] / values[-2] if values[-2] > 0 else None
    new = values[-1] * step if step else values[-1] + (values[-1] - values[-2])
    new = min(new, high)
    if integer:
        new = int(round(new))
    return new if new > values[-1] else None


@dataclass
class Tuned:
    """What :func:`tune` found.

    ``config``: the chosen configuration (fixed keys included); ``table``: one
    row per tried configuration (fixed keys included) with its metrics, best first; ``at_bound``:
    for each axis whose winner lies at an edge that could not be extended (a
    stated bound was reached), ``"lower"`` or ``"upper"``; empty when every
    numeric axis's winner is interior.
    """

    config: dict
    table: pd.DataFrame
    at_bound: dict

    @property
    def stopped_at_bound(self) -> bool:
        return bool(self.at_bound)

    def describe(self) -> str:
        """One sentence: the choice, and whether it is interior."""
        axes = ", ".join(f"{k} = {self.config[k]:g}" if isinstance(self.config[k], float)
                         else f"{k} = {self.config[k]}" for k in self.table.attrs["axes"])
        if not self.at_bound:
            return f"{axes}: interior on every axis"
        edges = ", ".join(f"{k} at its {side} bound" for k, side in self.at_bound.items())
        return f"{axes}: {edges}"


def tune(train: Callable[..., Mapping], axes: Mapping[str, Sequence], *,
         fixed: Mapping | None = None, seed: int = 0, metric: str = "valid_rmse",
         bounds: Mapping[str, tuple] | None = None, max_rounds: int = 6) -> Tuned:
    """Choose the configuration with the lowest ``metric`` over a grid that
    grows past its edges.

    ``axes`` maps each tuned key to its starting values; ``fixed`` holds the
    keys passed unchanged. Each round trains every untried point of the grid
    with ``seed`` and finds the best; for each numeric axis whose best value is
    the smallest or largest tried, one value past that edge is added (the
    edge's two nearest values' ratio, clipped to ``bounds[axis]``). It stops
    when no axis grows (every winner interior, or at a bound) or after
    ``max_rounds`` rounds.
    """
    fixed, bounds = dict(fixed or {}), dict(bounds or {})
    values = {k: sorted(v) if all(isinstance(x, (int, float)) for x in v) else list(v)
              for k, v in axes.items()}
    results: dict = {}
    for _ in range(max_rounds):
        for point in grid(**values):
            key = tuple(point[k] for k in values)
            if key not in results:
                results[key] = dict(train(seed=seed, **fixed, **point))
        best_key = min(results, key=lambda k: results[k][metric])
        best = dict(zip(values, best_key))
        grown = False
        for axis, tried in values.items():
            if not all(isinstance(x, (int, float)) for x in tried):
                continue
            new = _extend(tried, best[axis], bounds.get(axis))
            if new is not None and new not in tried:
                values[axis] = sorted(tried + [new])
                grown = True
        if not grown:
            break
    rows = [{**fixed, **dict(zip(values, k)), **r} for k, r in results.items()]
    table = pd.DataFrame(rows).sort_values(metric).reset_index(drop=True)
    table.attrs["axes"] = list(values)
    at_bound = {}
    for axis, tried in values.items():
        if not all(isinstance(x, (int, float)) for x in tried) or len(tried) < 2:
            continue
        if best[axis] == min(tried):
            at_bound[axis] = "lower"
        elif best[axis] == max(tried):
            at_bound[axis] = "upper"
    return Tuned({**fixed, **best}, table, at_bound)


# -- epochs -------------------------------------------------------------------

def at_cap(best_epoch: int | None, cap: int, margin: int = 4) -> bool:
    """Whether a run's kept epoch is within ``margin`` epochs of the cap (or
    the run had no early stopping at all). :func:`fit` uses the margin of its
    early stopping, ``patience * eval_every``: a run whose best epoch is closer
    to the cap than that was stopped by the cap, not by patience."""
    return best_epoch is None or best_epoch > cap - margin


def fit(mats, seed: int, config: AutoRecConfig | None = None, *,
        model: Callable | None = None, keep: bool = False, **kwargs) -> dict:
    """One PyTorch AutoRec run of ``config`` under the protocol; its metrics.

    Trains ``model(config.num_hidden, num_inputs, config.dropout, **model_kw)``
    (by default ``art.AutoRec``) on ``mats.train`` with Adam (``config.lr``,
    ``config.wd``) and early stopping on ``mats.valid``: validation RMSE every
    ``eval_every`` epochs, stopping after ``patience`` evaluations without
    improvement, best weights restored. A run whose kept epoch is within
    ``patience * eval_every`` epochs of the cap (:func:`at_cap`) goes on with
    the cap doubled, up to ``max_epochs``: the numbers a restart from scratch
    with the larger cap would give, without repeating its epochs.

    ``config`` defaults to the book's settings, ``AutoRecConfig()``. Other
    keyword arguments go to ``model`` (for example ``g="relu"``), except those
    named as fields of the configuration (or ``hidden``, the old name of
    ``num_hidden``), which replace that field: kept for compatibility with
    ``pr.fit(mats, seed, **pr.REFERENCE)``; new code passes a config.

    Returns ``valid_rmse``, ``train_rmse`` (observed training ratings),
    ``test_rmse`` (held-out ratings, scored once), ``epochs`` (the kept epoch),
    ``cap`` (the last cap), ``at_cap``, and ``n_train``/``n_test`` (the numbers
    of training and test ratings, which :func:`split_check` uses); with
    ``keep``, also ``net`` (the trained network, best weights) and ``history``.
    """
    from . import torch as art  # the core package stays framework-free
    from .metrics import masked_rmse

    config = config or AutoRecConfig()
    if not isinstance(config, AutoRecConfig):
        raise TypeError(f"config must be an AutoRecConfig, not {type(config).__name__}; "
                        f"build one with dataclasses.replace(pr.REFERENCE, ...)")
    changes = {k: kwargs.pop(k) for k in list(kwargs) if k in _FIELDS or k == "hidden"}
    config = config.updated(**changes)
    model_kw = kwargs
    if mats.valid is None:
        raise ValueError("the protocol chooses epochs on validation: build the "
                         "matrices with valid_ratio > 0")
    caps = epoch_caps(config)
    margin = config.patience * config.eval_every

    def stop_at_cap(epoch, best_epoch):  # after each evaluation: stop here?
        return epoch in caps and not at_cap(best_epoch, epoch, margin)

    art.seed_everything(seed)
    net = (model or art.AutoRec)(config.num_hidden, mats.train.shape[1], config.dropout,
                                 **model_kw)
    hist = art.train_autorec(
        net, mats.train, {"valid": mats.valid}, num_epochs=caps[-1],
        batch_size=config.batch_size, lr=config.lr, wd=config.wd, seed=seed,
        patience=config.patience, eval_every=config.eval_every, progress=False,
        stop_at=stop_at_cap)
    cap = next(c for c in caps if c >= hist.rows[-1]["epoch"])
    recon = art.predict(net, mats.train)
    out = {"valid_rmse": hist.final("valid"), "train_rmse": masked_rmse(recon, mats.train),
           "epochs": hist.best_epoch, "cap": cap,
           "at_cap": bool(at_cap(hist.best_epoch, cap, margin)),
           "n_train": int(np.count_nonzero(mats.train))}
    if mats.test is not None:
        out["test_rmse"] = masked_rmse(recon, mats.test)
        out["n_test"] = int(np.count_nonzero(mats.test))
    if keep:
        out["net"], out["history"] = net, hist
    return out


def epoch_caps(config: AutoRecConfig) -> list[int]:
    """The caps a run of ``config`` may reach: ``num_epochs``, doubled up to
    ``max_epochs`` (default four times ``num_epochs``). Every cap but the last
    must be an evaluation epoch, or the run could not decide there whether to
    go on: a ValueError says so."""
    first, every = config.num_epochs, config.eval_every
    last = config.max_epochs or 4 * first
    if first < 1 or every < 1 or last < first:
        raise ValueError(f"need 1 <= num_epochs <= max_epochs and eval_every >= 1; got "
                         f"num_epochs={first}, max_epochs={last}, eval_every={every}")
    if last > first and first % every:
        raise ValueError(f"num_epochs={first} is not a multiple of eval_every={every}: the "
                         f"run could not check at its cap whether to go on. Use a multiple "
                         f"(e.g. num_epochs={every * math.ceil(first / every)}), or set "
                         f"max_epochs={first} for a fixed budget.")
    caps = [first]
    while caps[-1] < last:
        caps.append(min(2 * caps[-1], last))
    return caps


def budget_note(runs: pd.DataFrame) -> str:
    """``""`` when no run in ``runs`` stopped at its cap, else the words
    "under a budget of N epochs" for the prose and labels."""
    if "at_cap" not in runs or not runs["at_cap"].any():
        return ""
    return f"under a budget of {int(runs.loc[runs['at_cap'], 'cap'].max())} epochs"


# -- comparisons --------------------------------------------------------------

@dataclass
class Difference:
    """A paired mean difference ``a - b`` with its ``confidence`` t-interval.

    ``test_train_ratio`` is None for the plain paired t-interval, or the
    ratio n_test / n_train of the corrected resampled t-interval
    (:func:`paired_difference`).
    """

    mean: float
    low: float
    high: float
    n: int
    sd: float
    confidence: float = 0.95
    test_train_ratio: float | None = None

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0

    @property
    def corrected(self) -> bool:
        """Whether the interval is Nadeau and Bengio's corrected one."""
        return self.test_train_ratio is not None

    @property
    def test(self) -> str:
        """The interval's name: "t-interval" or "corrected resampled t-interval"."""
        return "corrected resampled t-interval" if self.corrected else "t-interval"

    def verdict(self, lower: str = "lower", higher: str = "higher") -> str | None:
        """``higher`` when the interval lies above 0, ``lower`` when below,
        None when it contains 0 (no verdict)."""
        if self.low > 0:
            return higher
        if self.high < 0:
            return lower
        return None

    def as_text(self, digits: int = 4) -> str:
        """The mean and interval: ``"+0.0123 [+0.0045, +0.0201]"``."""
        return f"{self.mean:+.{digits}f} [{self.low:+.{digits}f}, {self.high:+.{digits}f}]"

    def describe(self, lower: str = "better", higher: str = "worse", digits: int = 4) -> str:
        """The mean, interval and verdict for a summary, e.g. ``"+0.0123
        [+0.0045, +0.0201], worse"`` or ``"..., no verdict: the interval
        contains 0"``. The defaults suit a difference of RMSEs (lower is
        better); pass other words for other metrics."""
        word = self.verdict(lower, higher)
        return self.as_text(digits) + (f", {word}" if word
                                       else ", no verdict: the interval contains 0")

    def row(self, lower: str = "lower", higher: str = "higher", digits: int = 4) -> dict:
        """One row of a table of differences: ``difference``, the interval,
        ``n`` and the verdict ("" when the interval contains 0)."""
        return {"difference": round(self.mean, digits),
                f"{self.confidence:.0%} interval":
                    f"[{self.low:+.{digits}f}, {self.high:+.{digits}f}]",
                "n": self.n, "verdict": self.verdict(lower, higher) or ""}

    def __str__(self) -> str:
        return (f"{self.mean:+.4f} [{self.low:+.4f}, {self.high:+.4f}] "
                f"({self.confidence:.0%} {self.test}, n = {self.n})")


def paired_difference(a, b, confidence: float = 0.95,
                      test_train_ratio: float | None = None) -> Difference:
    """The mean of the paired differences ``a - b`` and its t-interval.

    ``a`` and ``b`` are sequences in the same order, or ``pandas.Series``
    indexed by the pairing key (seed or split), which are aligned first;
    a key present in only one of them is an error. ``b`` may also be one
    number (a deterministic baseline, such as the mean-rating predictor).

    With ``test_train_ratio`` (n_test / n_train of each resample), the
    interval is the corrected resampled t-interval of Nadeau and Bengio
    (2003), "Inference for the Generalization Error", Machine Learning 52,
    239-281: when the n resamples share training data (random splits of the
    same ratings, cross-validation folds), their differences are correlated,
    and the variance of the mean is sd**2 * (1/n + n_test/n_train) instead
    of sd**2 / n. Use it for pairs over splits, not over seeds of one split.
    """
    if np.ndim(b) == 0 and not isinstance(b, pd.Series):
        b = pd.Series(float(b), index=a.index) if isinstance(a, pd.Series) \
            else np.full(np.shape(a), float(b))
    if isinstance(a, pd.Series) and isinstance(b, pd.Series):
        if set(a.index) != set(b.index):
            raise ValueError(f"unpaired keys: {sorted(set(a.index) ^ set(b.index))}")
        b = b.loc[a.index]
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"need two equal-length 1-d samples, got {a.shape} and {b.shape}")
    n = len(a)
    if n < 2:
        raise ValueError("a t-interval needs at least 2 pairs")
    if test_train_ratio is not None and not test_train_ratio > 0:
        raise ValueError(f"test_train_ratio must be n_test / n_train > 0, not "
                         f"{test_train_ratio!r} (None: the plain t-interval)")
    d = a - b
    mean, sd = float(d.mean()), float(d.std(ddof=1))
    scale = 1 / n + (test_train_ratio or 0.0)
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd * math.sqrt(scale)
    return Difference(mean, mean - half, mean + half, n, sd, confidence,
                      None if test_train_ratio is None else float(test_train_ratio))


def difference(runs: pd.DataFrame, by: str, a, b, metric: str = "test_rmse",
               pair: str = "seed", confidence: float = 0.95,
               test_train_ratio: float | None = None) -> Difference:
    """The paired difference of ``metric`` between the rows of ``runs`` whose
    column ``by`` is ``a`` and those where it is ``b``, paired on ``pair``."""
    one = runs[runs[by] == a].set_index(pair)[metric]
    two = runs[runs[by] == b].set_index(pair)[metric]
    for value, side in ((a, one), (b, two)):
        if side.empty:
            raise ValueError(f"no run has {by} == {value!r}; "
                             f"values: {list(pd.unique(runs[by]))}")
    return paired_difference(one, two, confidence, test_train_ratio)


def compare(runs: pd.DataFrame, by: str, baseline, metric: str = "test_rmse",
            pair: str = "seed", confidence: float = 0.95, lower: str = "lower",
            higher: str = "higher", test_train_ratio: float | None = None
            ) -> pd.DataFrame:
    """Each configuration of column ``by`` against ``baseline``: the paired
    difference of ``metric`` (pairs matched on column ``pair``), its interval,
    n, and the verdict (``higher``/``lower``, or "" when the interval holds 0).
    The :class:`Difference` of each row is in ``table.attrs["differences"]``."""
    rows, diffs = [], {}
    for value in pd.unique(runs[by]):
        if value == baseline:
            continue
        diff = difference(runs, by, value, baseline, metric, pair, confidence,
                          test_train_ratio)
        diffs[value] = diff
        rows.append({by: value, "difference": diff.mean, "low": diff.low, "high": diff.high,
                     "n": diff.n, "verdict": diff.verdict(lower, higher) or ""})
    table = pd.DataFrame(rows).set_index(by)
    table.attrs["differences"] = diffs
    return table


RELEASE_TEST_TRAIN = 20_000 / 80_000
"""n_test / n_train of MovieLens 100K's folds u1..u5 (20,000 test ratings each)."""

RANDOM_TEST_TRAIN = 0.1 / (0.9 * 0.9)
"""n_test / n_train of the protocol's random split: 10% test, and 10% of the
rest carved out for validation (10,000 test against 81,000 training ratings)."""


def resample_ratio(runs: pd.DataFrame, splits: Sequence) -> float:
    """n_test / n_train for the corrected interval over ``splits``: the mean
    over the runs that report ``n_test`` and ``n_train`` (as :func:`fit`'s do),
    else :data:`RELEASE_TEST_TRAIN` for the folds ``"u1"``..``"u5"`` and
    :data:`RANDOM_TEST_TRAIN` for seeds of the random split."""
    if {"n_test", "n_train"} <= set(runs.columns):
        known = runs.dropna(subset=["n_test", "n_train"])
        if len(known):
            return float((known.n_test / known.n_train).mean())
    if all(isinstance(s, str) and s in ("u1", "u2", "u3", "u4", "u5") for s in splits):
        return RELEASE_TEST_TRAIN
    if all(isinstance(s, (int, np.integer)) for s in splits):
        return RANDOM_TEST_TRAIN
    raise ValueError(f"cannot tell n_test / n_train of splits {list(splits)}: pass "
                     f"test_train_ratio, or return n_test and n_train from train")


def split_check(train: Callable[..., Mapping], a: Mapping, b: Mapping,
                splits: Iterable = SPLIT_SEEDS, metric: str = "test_rmse",
                confidence: float = 0.95, test_train_ratio: float | str | None = "auto"
                ) -> tuple[Difference, pd.DataFrame]:
    """Repeat the comparison of configurations ``a`` and ``b`` on several splits.

    ``train(seed=split, **config)`` must build the split from ``split`` (a seed
    of the random split, or a release split's name). Returns the paired
    difference ``a - b`` over the splits and the runs.

    The splits overlap (two random 90/10 splits share about 81% of their
    training ratings; two folds u1..u5, 75%), so the interval is the corrected
    resampled t-interval (Nadeau and Bengio, 2003; :func:`paired_difference`).
    ``test_train_ratio="auto"`` takes n_test / n_train from the splits
    (:func:`resample_ratio`); a number sets it; None gives the plain
    t-interval, as if the splits were independent.
    """
    splits = list(splits)
    runs = pd.concat([run_sweep(train, [a], splits, progress=False).assign(arm="a"),
                      run_sweep(train, [b], splits, progress=False).assign(arm="b")],
                     ignore_index=True).rename(columns={"seed": "split"})
    if isinstance(test_train_ratio, str):
        if test_train_ratio != "auto":
            raise ValueError(f"test_train_ratio: 'auto', a number or None, "
                             f"not {test_train_ratio!r}")
        test_train_ratio = resample_ratio(runs, splits)
    one = runs[runs.arm == "a"].set_index("split")[metric]
    two = runs[runs.arm == "b"].set_index("split")[metric]
    return paired_difference(one, two, confidence, test_train_ratio), runs


# -- recorded results -----------------------------------------------------------

def _results_folders(folder=None) -> list:
    """Where to look for recorded results: ``folder`` if given; else the folder
    this run records into (``$AUTOREC_RESULTS``, :func:`results.results_dir`),
    then the committed ``results/`` of the checkout the package runs from (none
    when it is pip-installed)."""
    from . import results
    from .data import in_checkout

    if folder is not None:
        return [Path(folder)]
    folders = [results.results_dir()]
    repo = in_checkout()
    if repo is not None and (repo / "results").resolve() != folders[0].resolve():
        folders.append(repo / "results")
    return folders


def recorded(notebook: str, key: str, folder=None) -> dict:
    """The result ``key`` that ``notebook`` recorded with ``ac.record`` (its
    ``value``, ``std``, ``n``, ``label``, ``digits``, and ``values`` if the
    per-run values were recorded), from the first of :func:`_results_folders`
    that holds it. A notebook that states another's result reads it here, so
    the two cannot disagree. Raises LookupError, naming the folders searched,
    when no folder holds it."""
    from . import results

    searched = []
    for place in _results_folders(folder):
        path = place / f"{notebook}.json"
        searched.append(str(path))
        if path.is_file():
            entries = results._read(path)
            if key in entries:
                return entries[key]
    raise LookupError(f"no recorded result {key!r} of notebook {notebook} in "
                      f"{' or '.join(searched)}; run notebooks/{notebook}.ipynb first "
                      f"(it records it), or set AUTOREC_RESULTS to the folder that "
                      f"holds its results")


def recorded_difference(notebook: str, key: str, folder=None, confidence: float = 0.95,
                        test_train_ratio: float | None = None) -> Difference:
    """The :class:`Difference` of a result recorded with its per-run values
    (``ac.record(..., values=differences, by="seed")``): each value is one
    paired difference, and the interval is recomputed from them."""
    entry = recorded(notebook, key, folder)
    values = entry.get("values")
    if not values:
        raise LookupError(f"{notebook}/{key} was recorded without its per-run values; "
                          f"record it with values=[...] to state it elsewhere")
    return paired_difference(np.asarray(values, dtype=float), 0.0, confidence,
                             test_train_ratio)


def reference_result(folder=None) -> dict:
    """The reference I-AutoRec's recorded test RMSE (``value``, ``std``, ``n``,
    ``label``), recorded by notebook 05 (:func:`recorded`)."""
    return recorded(REFERENCE_NOTEBOOK, REFERENCE_KEY, folder)


# -- checks ---------------------------------------------------------------------

def check_close(value: float, expected: float, tol: float, what: str) -> None:
    """Raise an AssertionError that states ``what``, both numbers and ``tol``
    unless ``|value - expected| <= tol``: an assert for check cells whose
    failure says what failed."""
    if not abs(float(value) - float(expected)) <= tol:
        raise AssertionError(f"{what}: {value!r} is not within {tol:g} of {expected!r} "
                             f"(off by {float(value) - float(expected):+.6g})")
