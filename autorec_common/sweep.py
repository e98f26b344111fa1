"""Run a configuration over several seeds and summarise the results.

Framework-neutral: the training function is passed in. Every notebook that
compares configurations uses these two functions, so a table of results always
has the same shape: one row per (configuration, seed), then mean, standard
deviation and count per configuration.
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
