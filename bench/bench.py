#!/usr/bin/env python
"""``make bench``: how fast the chapter's AutoRec trains, against the hardware limit.

Each measurement runs in a fresh interpreter (``--worker``) and the paths take
turns, round after round. The figures go to ``bench/results.json`` and the
report (``report.py``) to ``bench/results.md``; ``bench/README.md`` explains them.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import busy
import report
import scale
from probes import CpuShare, MemoryWatch, environment
from records import (BATCH, DROPOUT, HIDDEN, LR, MX_SETTINGS, WD, Comparison, HiddenRow,
                     Limit, PathTimes, Results, Run, ShapeRow, epoch_flops,
                     matmul_shapes, median, rate_key)

# Shapes for the scaling study: (items, users, density of observed ratings).
SHAPES = {"MovieLens 1M": (3706, 6040, 0.0447), "MovieLens 10M": (10677, 69878, 0.0134)}
ML10M_ROWS = 512  # rows of the ML-10M-shaped matrix actually trained on (see scale_shapes)
LIMIT_REPEATS = 9  # products per shape and thread count in one measurement of the limit

PATHS = {  # key (as in report.LABELS): worker, extra spec (None: our MXNet path's settings)
    "torch": ("torch", {}),
    "mxnet": ("mxnet", {}),
    "mxnet_naive": ("mxnet", {"mx_engine": "NaiveEngine"}),
    "mxnet_tuned": ("mxnet", {"mx_tuning": "1"}),
    "book": ("book", {}),
    "book_threads": ("book", None),
    "torch_1thread": ("torch", {"threads": 1}),
}


# --- inside a worker ---------------------------------------------------------------

def synthetic_ratings(rows, cols, density, seed=0, test_share=0.1):
    """Random 1..5 ratings at ``density``, split into train and test matrices
    (float32, zeros = unobserved): a stand-in of a MovieLens shape."""
    import numpy as np

    rng = np.random.default_rng(seed)
    train = np.zeros((rows, cols), dtype=np.float32)
    for start in range(0, rows, 256):  # row blocks keep the temporaries small
        block = train[start:start + 256]
        observed = rng.random(block.shape, dtype=np.float32) < density
        block[observed] = rng.integers(1, 6, size=int(observed.sum()))
    test = np.zeros_like(train)
    r, c = np.nonzero(train)
    held = rng.random(len(r)) < test_share
    test[r[held], c[held]] = train[r[held], c[held]]
    train[r[held], c[held]] = 0
    return train, test


def matrices(spec):
    """The worker's training and test matrices: synthetic ones, or the chapter's."""
    if spec.get("synthetic"):
        return synthetic_ratings(*spec["synthetic"])
    import autorec_common as ac

    m = ac.rating_matrices("random", seed=0)
    return m.train, m.test


def timed_runs(run, spec) -> dict:
    """Warm up, then time ``run(epochs, evaluate)`` ``reps`` times with and
    without evaluation: seconds per epoch of each repetition."""
    run(spec["warmup"], True)
    out = {"eval": [], "noeval": []}
    for _ in range(spec["reps"]):
        for key, evaluate in (("eval", True), ("noeval", False)):
            start = time.perf_counter()
            run(spec["epochs"], evaluate)
            out[key].append((time.perf_counter() - start) / spec["epochs"])
    return out


def measure(spec, setup, prepare=None) -> dict:
    """Time one path and watch its memory from a baseline taken once the caller's
    matrices exist.

    ``prepare(train, test)`` turns the NumPy matrices into what the path's caller
    holds; ``setup(train, test, hidden)`` builds the path and returns
    ``run(epochs, evaluate)``. With ``spec["copies"]``, one untimed epoch on the
    whole matrix, after a warm-up epoch on 512 rows that allocates the libraries'
    working memory.
    """
    train, test = matrices(spec)
    shape, matrix_mib = list(train.shape), train.nbytes / 2**20
    if prepare:
        train, test = prepare(train, test)
    hidden = spec.get("hidden", HIDDEN)
    if spec.get("copies"):
        setup(train[:512], test[:512], hidden)(1, False)
        watch = MemoryWatch()
        setup(train, test, hidden)(1, False)
        return {**watch.result(), "matrix_mib": matrix_mib}
    watch = MemoryWatch()
    run = setup(train, test, hidden)
    return {**timed_runs(run, spec), **watch.result(), "shape": shape, "matrix_mib": matrix_mib}


def work_torch(spec):
    import torch

    from autorec_common import torch as art

    if spec.get("threads"):
        torch.set_num_threads(spec["threads"])

    def setup(train, test, hidden):
        art.seed_everything(0)
        net = art.AutoRec(hidden, train.shape[1], DROPOUT)  # as in notebook 03

        def run(epochs, evaluate):
            art.train_autorec(net, train, test if evaluate else None, num_epochs=epochs,
                              batch_size=BATCH, lr=LR, wd=WD, seed=0, progress=False)
        return run

    return {**measure(spec, setup), "threads": torch.get_num_threads()}


def apply_mx_settings(spec) -> None:
    """Put the MXNet settings of ``spec`` into the environment, before MXNet loads."""
    for key, var in MX_SETTINGS.items():
        if spec.get(key):
            os.environ[var] = str(spec[key])


def work_mxnet(spec):
    apply_mx_settings(spec)
    from autorec_common.mxnet_cpu import use_fast_cpu_settings
    use_fast_cpu_settings()  # before MXNet loads: threads, operator tuning
    import mxnet as mx

    from autorec_common import mxnet as arm

    def setup(train, test, hidden):
        arm.seed_everything(0)
        net = arm.AutoRec(hidden, train.shape[1], DROPOUT)  # the book's model (D2L 16.4.2)
        net.initialize(mx.init.Normal(0.01), ctx=mx.cpu())

        def run(epochs, evaluate):
            arm.train_autorec(net, train, test if evaluate else None, num_epochs=epochs,
                              batch_size=BATCH, lr=LR, wd=WD, ctx=mx.cpu(), seed=0,
                              progress=False)
        return run

    return {**measure(spec, setup), **{k: os.environ.get(v) for k, v in MX_SETTINGS.items()}}


def work_book(spec):
    """The book's code (D2L 16.4.2-16.4.4) as it runs on a CPU, on MXNet's own
    defaults unless ``spec`` gives MXNet settings."""
    import warnings

    from autorec_common._numpy_compat import restore

    restore()  # the NumPy names MXNet 1.9.1 uses, as autorec_common.mxnet restores them
    apply_mx_settings(spec)
    if spec.get("mx_engine"):
        # with our settings, our module's guard too: under the NaiveEngine the
        # DataLoader's workers are threads, since worker processes would hang
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from autorec_common.mxnet_cpu import use_fast_cpu_settings
            use_fast_cpu_settings()
    import mxnet as mx
    from d2l import mxnet as d2l
    from mxnet import gluon, np, npx

    from autorec_common import mxnet as arm

    npx.set_np()  # the book's sections start with this

    def evaluator(network, inter_matrix, test_data, devices):  # D2L 16.4.3
        scores = []
        for values in inter_matrix:
            feat = gluon.utils.split_and_load(values, devices, even_split=False)
            scores.extend([network(i).asnumpy() for i in feat])
        recons = np.array([item for sublist in scores for item in sublist])
        rmse = np.sqrt(np.sum(np.square(test_data - np.sign(test_data) * recons))
                       / np.sum(np.sign(test_data)))
        return float(rmse)

    class NoPlot:  # d2l's Animator redraws a figure every epoch; we time the training
        def __init__(self, *args, **kwargs):
            self.add = lambda x, y: None

    d2l.Animator = NoPlot
    devices = [mx.cpu()]  # d2l.try_all_gpus() returns [] on a machine without a GPU
    workers = d2l.get_dataloader_workers()

    def prepare(train, test):
        # the book's load_data_ml100k fills MXNet arrays entry by entry: same values
        return np.array(train), np.array(test)

    def setup(train_inter_mat, test_inter_mat, hidden):
        train_iter = gluon.data.DataLoader(train_inter_mat, shuffle=True,
                                           last_batch="rollover", batch_size=BATCH,
                                           num_workers=workers)
        test_iter = gluon.data.DataLoader(np.array(train_inter_mat), shuffle=False,
                                          last_batch="keep", batch_size=1024,
                                          num_workers=workers)
        mx.random.seed(0)
        net = arm.AutoRec(hidden, train_inter_mat.shape[1], DROPOUT)
        net.initialize(ctx=devices, force_reinit=True, init=mx.init.Normal(0.01))
        loss = gluon.loss.L2Loss()
        trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": LR, "wd": WD})

        def run(epochs, evaluate):
            with contextlib.redirect_stdout(io.StringIO()):  # its closing prints
                d2l.train_recsys_rating(net, train_iter, test_iter, loss, trainer, epochs,
                                        devices, evaluator if evaluate else (lambda *a: 0.0),
                                        inter_mat=test_inter_mat)
        return run

    return {**measure(spec, setup, prepare), "workers": workers,
            "mx_threads": os.environ.get("MXNET_OMP_MAX_THREADS")}


def work_limit(spec):
    """Median single-precision rate of ``torch.mm`` on each of the model's shapes,
    on PyTorch's default number of threads and on one."""
    import torch

    default = torch.get_num_threads()
    rates = {}
    for threads in sorted({default, 1}, reverse=True):
        torch.set_num_threads(threads)
        for m, k, n in spec["shapes"]:
            a, b = torch.randn(m, k), torch.randn(k, n)
            for _ in range(3):
                torch.mm(a, b)
            times = []
            for _ in range(spec["repeats"]):
                start = time.perf_counter()
                torch.mm(a, b)
                times.append(time.perf_counter() - start)
            rates[rate_key((m, k, n), threads)] = 2 * m * k * n / median(times)
    return {"rates": rates, "threads": default}


WORKERS = {"torch": work_torch, "mxnet": work_mxnet, "book": work_book, "limit": work_limit}


# --- the measurements, each in a fresh interpreter ------------------------------------

def spawn(kind: str, spec: dict, timeout: float = 900, env: dict | None = None) -> dict:
    """Run one worker in a fresh interpreter (environment ``env``, by default
    this one's) and return its JSON answer."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, json.dumps(spec)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"worker {kind} {spec} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def compare_paths(rounds: int, spec: dict, log) -> Comparison:
    """Time the paths in turns each round, and the matmul rates after each path's
    run, so that the limit spans the same minutes as the paths' medians."""
    from autorec_common import rating_matrices

    m = rating_matrices("random", seed=0)
    rows, cols = m.train.shape
    shapes = matmul_shapes(rows, cols, HIDDEN)
    paths = {k: PathTimes([], [], []) for k in PATHS}
    rates, round_rates, threads = {}, [], None
    for r in range(rounds):
        first = len(next(iter(rates.values()), []))  # this round's rate samples start here
        for key, (kind, extra) in PATHS.items():
            if extra is None:  # the book's loop with the settings our MXNet path chose
                last = paths["mxnet"].runs[-1]
                extra = {k: getattr(last, k) for k in MX_SETTINGS if getattr(last, k)}
                if not extra:
                    continue
            out = spawn(kind, {**spec, **extra})
            evals, noevals = out.pop("eval"), out.pop("noeval")
            paths[key].eval += evals
            paths[key].noeval += noevals
            paths[key].runs.append(Run.from_dict({**out, "round_eval": median(evals)}))
            limit = spawn("limit", {"shapes": shapes, "repeats": LIMIT_REPEATS})
            for shape, rate in limit["rates"].items():
                rates.setdefault(shape, []).append(rate)
            threads = limit["threads"]
            log(f"  round {r + 1}/{rounds}: {key:13s} {paths[key].seconds:.3f} s/epoch with "
                f"evaluation (best matmuls after it: {max(limit['rates'].values()) / 1e9:.0f} "
                "GFLOP/s)")
        round_rates.append(max(median(v[first:]) for v in rates.values()))
    rate = {k: median(v) for k, v in rates.items()}
    best, flops = max(rate.values()), epoch_flops(rows, cols, HIDDEN)
    return Comparison(
        rows=rows, cols=cols, paths={k: v for k, v in paths.items() if v.runs}, rates=rate,
        rate_samples=len(next(iter(rates.values()))), rate_repeats=LIMIT_REPEATS,
        best_rate=best, round_rates=round_rates, flops=flops, threads=threads,
        limit=Limit(eval=flops.total / best, noeval=flops.train / best),
        matrix_mib=m.train.nbytes / 2**20)


def copies_check(rows: int, log) -> dict:
    """Extra copies of the interaction matrix each path holds while training: peak
    RSS growth over a tall synthetic matrix (``rows`` x 943, 6.3 % observed) with
    32 hidden units, so that the matrix dominates, in units of its size."""
    out = {}
    for p in ("torch", "mxnet", "book"):
        res = spawn(p, {"synthetic": [rows, 943, 0.063], "hidden": 32, "copies": True})
        out[p] = Run.from_dict({**res, "copies": res["peak_growth_mib"] / res["matrix_mib"]})
        log(f"  copies: {p:5s} peak growth {res['peak_growth_mib']:.0f} MiB = "
            f"{out[p].copies:.2f} x the {res['matrix_mib']:.0f} MiB matrix")
    return out


def scale_hidden(sizes, spec, best_rate, log) -> list:
    out = []
    for h in sizes:
        res = spawn("torch", {**spec, "hidden": h})
        flops = epoch_flops(1682, 943, h)
        out.append(HiddenRow(hidden=h, seconds=median(res["eval"]), noeval=median(res["noeval"]),
                             gflop=flops.total / 1e9, limit=flops.total / best_rate))
        log(f"  hidden {h:5d}: {out[-1].seconds:.3f} s/epoch "
            f"({out[-1].seconds / out[-1].limit:.2f}x limit)")
    return out


def scale_shapes(best_rate, log, quick=False) -> list:
    """ML-100K (real), ML-1M and ML-10M shapes (synthetic), 500 hidden units. The
    ML-10M shape trains on its first ML10M_ROWS rows at full width, and its epoch
    time is scaled by items / ML10M_ROWS: the work per row is the same."""
    runs = [("MovieLens 100K", 1682, 943, {"epochs": 3, "reps": 1, "warmup": 1}, 1)]
    for name, (items, users, density) in SHAPES.items():
        if quick and name == "MovieLens 10M":
            continue
        rows = min(items, ML10M_ROWS) if name == "MovieLens 10M" else items
        runs.append((name, items, users, {"synthetic": [rows, users, density], "epochs": 1,
                                          "reps": 2, "warmup": 1}, items / rows))
    out = []
    for name, items, users, spec, factor in runs:
        res = spawn("torch", {**spec, "hidden": HIDDEN})
        flops = epoch_flops(items, users, HIDDEN)
        out.append(ShapeRow(
            name=name, items=items, users=users, seconds=median(res["eval"]) * factor,
            noeval=median(res["noeval"]) * factor, gflop=flops.total / 1e9,
            limit=flops.total / best_rate, measured_rows=res["shape"][0],
            extrapolated=factor != 1, matrix_mib=items * users * 4 / 2**20,
            peak_mib=res["baseline_mib"] + res["peak_growth_mib"]))
        log(f"  {name}: {out[-1].seconds:.2f} s/epoch" + (" (extrapolated)" if factor != 1 else ""))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="turns of the paths (default 3)")
    parser.add_argument("--quick", action="store_true",
                        help="one round, fewer epochs, no ML-10M shape (a smoke test)")
    parser.add_argument("--out", default=str(report.COMMITTED),
                        help="the report; only the default (bench/results.md) also writes "
                             "bench/results.json and the README's paragraph")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("spec", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(WORKERS[args.worker](json.loads(args.spec))))
        return 0

    def log(msg):
        print(msg, flush=True)

    start, share, env = time.perf_counter(), CpuShare(), environment()
    rounds = 1 if args.quick else args.rounds
    spec = {"epochs": 2 if args.quick else 4, "reps": 1 if args.quick else 2, "warmup": 1}
    log(f"Timing the training paths ({rounds} rounds) ...")
    cmp = compare_paths(rounds, spec, log)
    log("Copies of the interaction matrix ...")
    copies = copies_check(8192 if args.quick else 32768, log)
    log("Scaling with the hidden size ...")
    hidden = scale_hidden([100, 500] if args.quick else [100, 250, 500, 1000, 2000],
                          {"epochs": 3, "reps": 1, "warmup": 1}, cmp.best_rate, log)
    log("Scaling with items and users ...")
    shapes = scale_shapes(cmp.best_rate, log, args.quick)
    log("Dense against sparse as the data grows ...")
    sparse = scale.compare(cmp.best_rate, log, args.quick)
    log("On a busy machine (bench/busy.py) ...")
    on_busy = busy.measure_busy(rounds, busy.QUICK if args.quick else busy.SPEC, log,
                                spawn=spawn)
    results = Results(env=env, cmp=cmp, copies=copies, hidden=hidden, shapes=shapes,
                      seconds=time.perf_counter() - start, others=share.others(),
                      scale=sparse, busy=[s.to_dict() for s in on_busy])
    if Path(args.out).resolve() == report.COMMITTED:
        results.save(report.RESULTS_JSON)
    print("\n" + report.write(results, Path(args.out)) + f"Written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
