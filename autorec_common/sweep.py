"""Run a configuration over several seeds and summarise the results.

Framework-neutral: the training function is passed in. Every notebook that
compares configurations uses these functions, so a table of results always
has the same shape: one row per (configuration, seed), then mean, standard
deviation and count per configuration (:func:`summarize`), or the same as text,
"mean ± sd" (:func:`mean_sd_table`).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Mapping

import pandas as pd
from tqdm.auto import tqdm


def grid(**axes: Iterable) -> list[dict]:
    """All combinations of the given axes: ``grid(a=[1, 2], b=['x'])``."""
    keys = list(axes)
    return [dict(zip(keys, values)) for values in itertools.product(*axes.values())]


def run_sweep(train: Callable[..., Mapping], configs: Iterable[Mapping],
              seeds: Iterable[int], progress: bool = True) -> pd.DataFrame:
    """Call ``train(seed=seed, **config)`` for every config and seed.

    ``train`` returns a mapping of metrics (for example ``{"test_rmse": 0.9}``).
    The result has one row per run: the config's keys, ``seed``, the metrics,
    and ``seconds`` (wall time of the call).
    """
    configs, seeds = [dict(c) for c in configs], list(seeds)
    rows = []
    runs = [(c, s) for c in configs for s in seeds]
    for config, seed in tqdm(runs, disable=not progress, desc="runs", leave=False):
        start = time.perf_counter()
        metrics = dict(train(seed=seed, **config))
        rows.append({**config, "seed": seed, **metrics,
                     "seconds": time.perf_counter() - start})
    return pd.DataFrame(rows)


def summarize(runs: pd.DataFrame, by: str | list[str], metrics: str | list[str] | None = None
              ) -> pd.DataFrame:
    """Mean, standard deviation (ddof=1) and count of metrics per configuration."""
    by = [by] if isinstance(by, str) else list(by)
    if metrics is None:
        metrics = [c for c in runs.columns
                   if c not in by + ["seed"] and pd.api.types.is_numeric_dtype(runs[c])]
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    table = runs.groupby(by, sort=False)[metrics].agg(["mean", "std", "count"])
    return table


def format_mean_sd(mean: float, sd: float, digits: int = 4) -> str:
    """``"0.8893 ± 0.0018"``: a mean and standard deviation with ``digits``."""
    return f"{mean:.{digits}f} ± {sd:.{digits}f}"


def mean_sd(values, digits: int = 4) -> str:
    """The mean ± standard deviation (ddof=1) of ``values`` as text,
    ``"0.8893 ± 0.0018"``."""
    values = pd.Series(values, dtype=float)
    return format_mean_sd(values.mean(), values.std(), digits)


def mean_sd_table(runs: pd.DataFrame, by: str, metrics, digits=4, order=None
                  ) -> pd.DataFrame:
    """One row per value of column ``by``, one column per metric, each cell
    "mean ± sd" over that configuration's runs (sd with ddof=1).

    ``metrics``: a list of columns, or a mapping of column to the header to
    print (``{"test_rmse": "test RMSE"}``). ``digits``: one number for every
    metric, or a mapping of column to digits (columns left out get 4).
    ``order``: the rows' order (default: first appearance in ``runs``).
    ``table.attrs["n"]`` is the smallest number of runs in a row, for the
    caption ("mean ± sd over {n} seeds").
    """
    labels = dict(metrics) if isinstance(metrics, Mapping) else {m: m for m in metrics}
    missing = [m for m in [by, *labels] if m not in runs.columns]
    if missing:
        raise KeyError(f"runs has no column {', '.join(map(repr, missing))}; "
                       f"its columns: {list(runs.columns)}")
    places = dict(digits) if isinstance(digits, Mapping) else {m: digits for m in labels}
    groups = runs.groupby(by, sort=False)[list(labels)]
    mean, sd = groups.mean(), groups.std()
    rows = list(order) if order is not None else list(pd.unique(runs[by]))
    absent = [r for r in rows if r not in mean.index]
    if absent:
        raise KeyError(f"no run has {by} = {', '.join(map(repr, absent))}")
    table = pd.DataFrame(
        {label: [format_mean_sd(mean.loc[r, m], sd.loc[r, m], places.get(m, 4))
                 for r in rows]
         for m, label in labels.items()},
        index=pd.Index(rows, name=by))
    table.attrs["n"] = int(groups.size().loc[rows].min())
    return table
