#!/usr/bin/env python
"""``make bench``: how fast the chapter's AutoRec trains, against the hardware limit.

One run on one machine measures, and writes to ``bench/results.md``:

* seconds per training epoch of the chapter's model (item-based AutoRec, 500
  sigmoid hidden units, dropout 0.05, MovieLens 100K random 90/10 split with
  seed 0, batch 256, Adam lr 0.002 wd 1e-5) through our MXNet loop
  (``autorec_common.mxnet.train_autorec``), our PyTorch loop
  (``autorec_common.torch.train_autorec``) and the book's own loop (Gluon
  ``DataLoader`` plus d2l's ``train_recsys_rating`` and the chapter's
  evaluator), each with its per-epoch evaluation and without;
* the hardware limit: the epoch's matrix-multiply work (see ``epoch_flops``)
  divided by the single-precision matrix-multiply rate that ``torch.mm``
  reaches on the model's own matrix shapes in the same run;
* peak memory of each path, and how many extra copies of the interaction
  matrix each path holds;
* how the time per epoch grows with the hidden size and with the numbers of
  items and users (synthetic matrices of MovieLens 1M and 10M shape).

Every measurement runs in a fresh subprocess (so the frameworks' thread pools
and memory do not mix); the paths take turns, round after round, so that a
busy machine slows them alike; figures are medians over the timed repetitions
after a warm-up. Run ``python bench/bench.py --help`` for options.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent

# The chapter's model and training settings (D2L 16.4).
HIDDEN, DROPOUT, BATCH, LR, WD = 500, 0.05, 256, 0.002, 1e-5

# Shapes for the scaling study: (items, users, density of observed ratings).
# ML-1M: 3,706 rated movies x 6,040 users, 1,000,209 ratings (4.47 %);
# ML-10M: 10,677 x 69,878, 10,000,054 ratings (1.34 %).
SHAPES = {"MovieLens 1M": (3706, 6040, 0.0447), "MovieLens 10M": (10677, 69878, 0.0134)}
ML10M_ROWS = 512  # rows of the ML-10M-shaped matrix actually trained on (see scale_shapes)


# --- the work in one epoch -------------------------------------------------------

def epoch_flops(rows: int, cols: int, hidden: int, evaluate: bool = True) -> dict:
    """Floating-point operations of the matrix multiplies in one AutoRec epoch.

    One pass over ``rows`` input rows of width ``cols`` through a ``hidden``-unit
    encoder and a ``cols``-wide decoder. A product of an (m x k) and a (k x n)
    matrix counts 2*m*k*n operations; ``unit = 2 * rows * cols * hidden`` is one
    such product over all rows. Training does five of them: forward through the
    encoder and the decoder, then backward the decoder's input gradient, the
    decoder's weight gradient and the encoder's weight gradient (nothing flows
    back into the input, which is data), so backward costs 1.5x forward here.
    The per-epoch evaluation is one forward pass over all rows (two products).
    Biases, activations, dropout, the loss and Adam's update are elementwise
    and not counted (together about 1 % of the operations of this model).
    """
    unit = 2 * rows * cols * hidden
    train = 5 * unit
    evaluation = 2 * unit if evaluate else 0
    return {"train": train, "eval": evaluation, "total": train + evaluation}


def products_at_own_rates(cmp) -> float:
    """Seconds the epoch's products (with evaluation) take when each runs at the
    rate measured for its own shape with PyTorch's default threads, rather
    than all at the best rate: what the matrix products alone cost at batch
    size 256, before any elementwise work. Training runs over the batch shapes
    (the decoder's input gradient has the encoder's forward shape), the
    evaluation over the full-matrix shapes; each product type covers all rows
    once per epoch, ``2 * rows * cols * hidden`` operations."""
    rows, cols, threads = cmp["rows"], cmp["cols"], cmp["threads"]
    unit = 2 * rows * cols * HIDDEN
    enc, dec, enc_w, dec_w, ev_enc, ev_dec = matmul_shapes(rows, cols, HIDDEN)
    counts = {enc: 2, dec: 1, enc_w: 1, dec_w: 1, ev_enc: 1, ev_dec: 1}
    return sum(n * unit / cmp["rates"][rate_key(shape, threads)]
               for shape, n in counts.items())


def rate_key(shape, threads: int) -> str:
    """How the measured matmul rates are keyed: ``"256x943x500/2"``."""
    return "x".join(map(str, shape)) + f"/{threads}"


def matmul_shapes(rows: int, cols: int, hidden: int, batch: int = BATCH) -> list:
    """The (m, k, n) shapes of the products in an epoch: batch forward and
    backward, and the full-matrix evaluation."""
    return [(batch, cols, hidden), (batch, hidden, cols), (hidden, batch, cols),
            (cols, batch, hidden), (rows, cols, hidden), (rows, hidden, cols)]


def per_shape_medians(rates: dict, first: int = 0) -> dict:
    """Median of each shape's measured rates, from measurement ``first`` on."""
    return {k: median(v[first:]) for k, v in rates.items()}


def median(values) -> float:
    return float(statistics.median(values))


# --- helpers that run inside a worker --------------------------------------------

def memory_kib() -> dict:
    """Current and peak resident set size of this process (KiB), from /proc."""
    out = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


def reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) to the current RSS (Linux)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class MemoryWatch:
    """Peak RSS growth over a baseline taken at construction (MiB)."""

    def __init__(self):
        self.exact = reset_peak()
        self.baseline = memory_kib()["VmRSS"]

    def result(self) -> dict:
        peak = memory_kib()["VmHWM"]
        return {"baseline_mib": self.baseline / 1024,
                "peak_growth_mib": (peak - self.baseline) / 1024,
                "peak_exact": self.exact}


def synthetic_ratings(rows, cols, density, seed=0, test_share=0.1):
    """Random 1..5 ratings at ``density``, split into train and test matrices
    (float32, zeros = unobserved), as a stand-in of a MovieLens shape."""
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


def chapter_matrices():
    import autorec_common as ac

    m = ac.rating_matrices("random", seed=0)
    return m.train, m.test


def torch_model(cols, hidden):
    from autorec_common import torch as art

    return art.AutoRec(hidden, cols, DROPOUT)  # as in notebook 03


def gluon_model(cols, hidden):
    from autorec_common import mxnet as arm

    return arm.AutoRec(hidden, cols, DROPOUT)  # the book's model (D2L 16.4.2)


def timed_runs(run, spec) -> dict:
    """Warm up, then time ``run(epochs, evaluate)`` ``reps`` times with and
    without evaluation; seconds per epoch of each repetition."""
    run(spec["warmup"], True)
    out = {"eval": [], "noeval": []}
    for _ in range(spec["reps"]):
        for key, evaluate in (("eval", True), ("noeval", False)):
            start = time.perf_counter()
            run(spec["epochs"], evaluate)
            out[key].append((time.perf_counter() - start) / spec["epochs"])
    return out


# --- workers: one measurement each, in a fresh process ---------------------------

def matrices(spec):
    """The worker's training and test matrices: the chapter's, or synthetic ones."""
    if spec.get("synthetic"):
        return synthetic_ratings(*spec["synthetic"])
    return chapter_matrices()


def measure(spec, setup, prepare=None) -> dict:
    """Time and watch the memory of one path.

    ``prepare(train, test)`` turns the NumPy matrices into what the path's
    caller holds (the book's caller holds MXNet arrays); ``setup(train, test,
    hidden)`` builds the path and returns ``run(epochs, evaluate)``. Memory is
    counted from a baseline taken once the caller's matrices exist. With
    ``spec["copies"]``: train one epoch on the first 512 rows first (so that
    the libraries have allocated their working memory), then take the
    baseline, then train one epoch on the whole matrix without evaluation.
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
    return {**timed_runs(run, spec), **watch.result(), "shape": shape,
            "matrix_mib": matrix_mib}


def work_torch(spec):
    import torch

    from autorec_common import torch as art

    if spec.get("threads"):
        torch.set_num_threads(spec["threads"])

    def setup(train, test, hidden):
        art.seed_everything(0)
        net = torch_model(train.shape[1], hidden)

        def run(epochs, evaluate):
            art.train_autorec(net, train, test if evaluate else None, num_epochs=epochs,
                              batch_size=BATCH, lr=LR, wd=WD, seed=0, progress=False)
        return run

    return {**measure(spec, setup), "threads": torch.get_num_threads()}


# MXNet settings a worker's spec may give, and the environment variables that
# carry them (use_fast_cpu_settings() keeps an explicit setting instead of its own).
MX_SETTINGS = {"mx_threads": "MXNET_OMP_MAX_THREADS", "mx_engine": "MXNET_ENGINE_TYPE",
               "mx_tuning": "MXNET_USE_OPERATOR_TUNING"}


def apply_mx_settings(spec) -> None:
    """Put the MXNet settings of ``spec`` into the environment, before MXNet loads."""
    for key, var in MX_SETTINGS.items():
        if spec.get(key):
            os.environ[var] = str(spec[key])


def work_mxnet(spec):
    apply_mx_settings(spec)
    from autorec_common.mxnet_cpu import use_fast_cpu_settings
    use_fast_cpu_settings()  # before MXNet loads: engine, threads, operator tuning
    from autorec_common import mxnet as arm
    import mxnet as mx

    def setup(train, test, hidden):
        arm.seed_everything(0)
        net = gluon_model(train.shape[1], hidden)
        net.initialize(mx.init.Normal(0.01), ctx=mx.cpu())

        def run(epochs, evaluate):
            arm.train_autorec(net, train, test if evaluate else None, num_epochs=epochs,
                              batch_size=BATCH, lr=LR, wd=WD, ctx=mx.cpu(), seed=0,
                              progress=False)
        return run

    return {**measure(spec, setup), **{k: os.environ.get(v) for k, v in MX_SETTINGS.items()}}


def work_book(spec):
    """The book's code (D2L 16.4.2-16.4.4) as it runs on a CPU, with MXNet's own
    thread, engine and operator-tuning defaults unless ``spec["mx_threads"]``,
    ``spec["mx_engine"]`` or ``spec["mx_tuning"]`` is given."""
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
            pass

        def add(self, x, y):
            pass

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
        net = gluon_model(train_inter_mat.shape[1], hidden)
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
    """Median single-precision rate of ``torch.mm`` on each of the model's
    shapes, with PyTorch's default number of threads and with one thread."""
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


def spawn(kind: str, spec: dict, timeout: float = 900) -> dict:
    """Run one worker in a fresh interpreter and return its JSON answer."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, json.dumps(spec)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"worker {kind} {spec} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- the measurements -----------------------------------------------------------

PATHS = {  # key: (worker, extra spec, label)
    "torch": ("torch", {}, "PyTorch: `autorec_common.torch.train_autorec`"),
    "mxnet": ("mxnet", {}, "MXNet: `autorec_common.mxnet.train_autorec`"),
    "mxnet_async": ("mxnet", {"mx_engine": "ThreadedEnginePerDevice"},
                    "MXNet path on MXNet's default asynchronous engine"),
    "mxnet_tuned": ("mxnet", {"mx_tuning": "1"},
                    "MXNet path with MXNet's operator tuning on (its default)"),
    "book": ("book", {}, "the book's loop: Gluon `DataLoader` + `d2l.train_recsys_rating`"),
    "book_threads": ("book", None, "the book's loop, with our MXNet settings "
                     "(threads, engine, operator tuning)"),
    "torch_1thread": ("torch", {"threads": 1}, "PyTorch path on 1 thread "
                      "(`torch.set_num_threads(1)`)"),
}


LIMIT_REPEATS = 9  # products per shape and thread count in one measurement of the limit


class CpuShare:
    """How much CPU time other processes took while the benchmark ran
    (Linux: /proc/stat minus this process and its waited-for children)."""

    def __init__(self):
        self.start = self._sample()

    @staticmethod
    def _sample():
        try:
            with open("/proc/stat") as f:
                fields = [int(v) for v in f.readline().split()[1:]]
            busy = sum(fields) - fields[3] - fields[4]  # all but idle and iowait
            busy /= os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            busy = float("nan")
        t = os.times()
        return busy, t.user + t.system + t.children_user + t.children_system, time.monotonic()

    def others(self) -> float:
        """Mean number of CPUs other processes kept busy since construction."""
        busy0, mine0, t0 = self.start
        busy1, mine1, t1 = self._sample()
        return max(0.0, (busy1 - busy0) - (mine1 - mine0)) / (t1 - t0)


def compare_paths(rounds: int, spec: dict, log) -> dict:
    """Time the paths, taking turns each round, and the matmul rate after each
    path's run: the limit's median then spans the same minutes as the paths'
    medians, however the machine's speed drifts during the run."""
    from autorec_common import rating_matrices

    m = rating_matrices("random", seed=0)
    rows, cols = m.train.shape
    shapes = matmul_shapes(rows, cols, HIDDEN)
    results = {p: {"eval": [], "noeval": [], "runs": []} for p in PATHS}
    rates, round_rates, threads = {}, [], None
    for r in range(rounds):
        first = len(next(iter(rates.values()), []))  # this round's measurements start here
        for key, (kind, extra, _) in PATHS.items():
            if extra is None:  # the book's loop with the settings our MXNet path chose
                last = results["mxnet"]["runs"][-1]
                extra = {k: last[k] for k in MX_SETTINGS if last.get(k)}
                if not extra:
                    continue
            out = spawn(kind, {**spec, **extra})
            out["round_eval"] = median(out["eval"])  # this run's own figure
            results[key]["eval"] += out.pop("eval")
            results[key]["noeval"] += out.pop("noeval")
            limit = spawn("limit", {"shapes": shapes, "repeats": LIMIT_REPEATS})
            for shape, rate in limit["rates"].items():
                rates.setdefault(shape, []).append(rate)
            threads = limit["threads"]
            results[key]["runs"].append(out)
            log(f"  round {r + 1}/{rounds}: {key:13s} {median(results[key]['eval']):.3f} "
                "s/epoch with evaluation (best matmuls after it: "
                f"{max(limit['rates'].values()) / 1e9:.0f} GFLOP/s)")
        # this round's limit, taken as the whole run's is: the best per-shape median
        round_rates.append(max(per_shape_medians(rates, first).values()))
    rate = per_shape_medians(rates)
    best = max(rate.values())
    flops = epoch_flops(rows, cols, HIDDEN)
    return {"rows": rows, "cols": cols, "paths": {k: v for k, v in results.items() if v["runs"]},
            "rates": rate, "rate_samples": len(next(iter(rates.values()))),
            "rate_repeats": LIMIT_REPEATS, "best_rate": best, "round_rates": round_rates,
            "flops": flops, "threads": threads,
            "limit": {"eval": flops["total"] / best, "noeval": flops["train"] / best},
            "matrix_mib": m.train.nbytes / 2**20}


def copies_check(rows: int, log) -> dict:
    """Extra copies of the interaction matrix each path holds while training.

    A tall synthetic matrix (``rows`` x 943, 6.3 % observed) with a tiny model
    (32 hidden units), so that the matrix dominates the memory (see
    ``measure``); peak RSS growth in units of the matrix's size.
    """
    out = {}
    for p in ("torch", "mxnet", "book"):
        res = spawn(p, {"synthetic": [rows, 943, 0.063], "hidden": 32, "copies": True})
        res["copies"] = res["peak_growth_mib"] / res["matrix_mib"]
        out[p] = res
        log(f"  copies: {p:5s} peak growth {res['peak_growth_mib']:.0f} MiB = "
            f"{res['copies']:.2f} x the {res['matrix_mib']:.0f} MiB matrix")
    return out


def scale_hidden(sizes, spec, best_rate, log) -> list:
    out = []
    for h in sizes:
        res = spawn("torch", {**spec, "hidden": h})
        flops = epoch_flops(1682, 943, h)
        sec = median(res["eval"])
        out.append({"hidden": h, "seconds": sec, "noeval": median(res["noeval"]),
                    "gflop": flops["total"] / 1e9, "limit": flops["total"] / best_rate})
        log(f"  hidden {h:5d}: {sec:.3f} s/epoch ({sec / out[-1]['limit']:.2f}x limit)")
    return out


def scale_shapes(best_rate, log, quick=False) -> list:
    """ML-100K (real), ML-1M and ML-10M shapes (synthetic), 500 hidden units.

    The ML-10M shape trains on its first ML10M_ROWS item rows only (full
    width, so every batch costs what it would in the full matrix) and the
    epoch time is scaled by 10,677 / ML10M_ROWS: the work per row is the same.
    """
    runs = [("MovieLens 100K", 1682, 943, {"epochs": 3, "reps": 1, "warmup": 1}, 1)]
    for name, (items, users, density) in SHAPES.items():
        rows = min(items, ML10M_ROWS) if name == "MovieLens 10M" else items
        if quick and name == "MovieLens 10M":
            continue
        runs.append((name, items, users, {"synthetic": [rows, users, density], "epochs": 1,
                                          "reps": 2, "warmup": 1}, items / rows))
    out = []
    for name, items, users, spec, factor in runs:
        res = spawn("torch", {**spec, "hidden": HIDDEN})
        flops = epoch_flops(items, users, HIDDEN)
        sec = median(res["eval"]) * factor
        out.append({"name": name, "items": items, "users": users, "seconds": sec,
                    "noeval": median(res["noeval"]) * factor, "gflop": flops["total"] / 1e9,
                    "limit": flops["total"] / best_rate, "measured_rows": res["shape"][0],
                    "extrapolated": factor != 1, "matrix_mib": items * users * 4 / 2**20,
                    "peak_mib": res["baseline_mib"] + res["peak_growth_mib"]})
        log(f"  {name}: {sec:.2f} s/epoch" + (" (extrapolated)" if factor != 1 else ""))
    return out


# --- report ---------------------------------------------------------------------

def environment() -> dict:
    import numpy
    import torch

    info = {"when": f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M}",
            "python": platform.python_version(), "numpy": numpy.__version__,
            "torch": torch.__version__, "cpus": os.cpu_count(),
            "cpu": platform.processor() or platform.machine()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:  # the version without importing MXNet into this process
        from importlib.metadata import version

        info["mxnet"] = version("mxnet")
    except Exception:  # noqa: BLE001
        info["mxnet"] = "not installed"
    return info


def round_ratios(cmp) -> tuple:
    """The two speed ratios of each round on its own (that round's runs, and that
    round's limit: the best of its per-shape median rates, as for the whole
    run): how far a single round could land from the figures of the whole run.
    ``([], [])`` for raw figures without them."""
    p, rates = cmp["paths"], cmp.get("round_rates") or []
    runs = {k: [r.get("round_eval") for r in p[k]["runs"]] for k in ("torch", "mxnet", "book")}
    if None in sum(runs.values(), []) or len({len(rates), *map(len, runs.values())}) > 1:
        return [], []
    return ([t * rate / cmp["flops"]["total"] for t, rate in zip(runs["torch"], rates)],
            [b / m for b, m in zip(runs["book"], runs["mxnet"])])


def rounds_text(ratios) -> str:
    return f" (rounds on their own: {', '.join(f'{x:.2f}' for x in ratios)})" if ratios else ""


def targets(cmp, copies) -> list:
    """(text, passed) for each target of issue 6."""
    sec = {k: median(v["eval"]) for k, v in cmp["paths"].items()}
    t_torch = sec["torch"] / cmp["limit"]["eval"]
    t_mx = sec["book"] / sec["mxnet"]
    r_torch, r_mx = map(rounds_text, round_ratios(cmp))
    return [
        (f"PyTorch path within 2x of the hardware limit (with evaluation): {t_torch:.3f}x"
         + r_torch, t_torch <= 2),
        (f"MXNet path at least 2x faster than the book's loop (with evaluation): "
         f"{t_mx:.3f}x" + r_mx, t_mx >= 2),
        (f"PyTorch path holds no second copy of the interaction matrix: "
         f"{copies['torch']['copies']:.2f} extra copies", copies["torch"]["copies"] < 0.5),
        (f"MXNet path holds no second copy of the interaction matrix: "
         f"{copies['mxnet']['copies']:.2f} extra copies", copies["mxnet"]["copies"] < 0.5),
    ]


COMMITTED = HERE / "results.md"  # the report the README links; writing it updates the README
README_START = "<!-- bench:start (generated by `make bench` from bench/results.json) -->"
README_END = "<!-- bench:end -->"


def readme_summary(env, cmp, copies, hidden, shapes, seconds, others) -> str:
    """The README's paragraph on speed, from the same raw figures as the report."""
    sec = {k: median(v["eval"]) for k, v in cmp["paths"].items()}
    lim = cmp["limit"]["eval"]
    ml1m = next(s for s in shapes if s["name"] == "MovieLens 1M")
    passed = sum(ok for _, ok in targets(cmp, copies))
    when = env.get("when", "")[:10]
    r_torch, r_mx = (f"; single rounds of the run: {min(r):.2f}-{max(r):.2f}x" if r else ""
                     for r in round_ratios(cmp))
    minutes = 25 * ml1m["seconds"] / 60
    chapter = f"{minutes:.0f} min" if minutes >= 2 else f"{minutes * 60:.0f} s"
    return "\n".join([
        README_START,
        f"Measured by `make bench` on {when} on this project's {env['cpus']}-CPU test "
        f"machine ({env['cpu']}), full report in [bench/results.md](bench/results.md): "
        f"one epoch of the chapter's model (500 hidden units, with the per-epoch "
        f"evaluation) takes {sec['torch']:.2f} s in PyTorch ({sec['torch'] / lim:.3f}x the "
        f"time its matrix multiplies need at the machine's measured rate{r_torch}) and "
        f"{sec['mxnet']:.2f} s in MXNet, against {sec['book']:.2f} s for the book's own "
        f"loop ({sec['book'] / sec['mxnet']:.3f}x the time of ours{r_mx}); neither of our loops "
        f"copies the interaction matrix. {passed} of the 4 targets of issue 6 are met; "
        f"the report lists them.",
        "",
        f"**MovieLens 1M** ({ml1m['items']:,} rated movies x {ml1m['users']:,} users, "
        f"{ml1m['gflop'] * 1e9 / cmp['flops']['total']:.0f}x the work of 100K per epoch) takes about {ml1m['seconds']:.1f} s per epoch on such a CPU, so the "
        f"chapter's 25 epochs take about {chapter}, with a "
        f"peak memory near {ml1m['peak_mib'] / 1024:.1f} GiB (measured on a synthetic "
        f"matrix of that shape and density). **On a GPU**: not yet measured; no GPU was "
        f"available to this project's sessions.",
        README_END])


def update_readme(summary: str, readme: Path = HERE.parent / "README.md") -> None:
    text = readme.read_text()
    start, end = text.index(README_START.split(" (")[0]), text.index(README_END)
    readme.write_text(text[:start] + summary + text[end + len(README_END):])


def report(env, cmp, copies, hidden, shapes, seconds, others) -> str:
    p, lim = cmp["paths"], cmp["limit"]
    sec = {k: {e: median(v[e]) for e in ("eval", "noeval")} for k, v in p.items()}
    best = cmp["best_rate"]
    busy = others > 0.1 * env["cpus"]
    lines = []
    add = lines.append
    add("# Training speed: `make bench`")
    add("")
    when = env.get("when") or f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M}"
    add(f"Measured {when} UTC on {env['cpu']} "
        f"({env['cpus']} CPUs; PyTorch uses {cmp['threads']} threads), Python "
        f"{env['python']}, PyTorch {env['torch']}, MXNet {env['mxnet']}, NumPy "
        f"{env['numpy']}; the run took {seconds / 60:.1f} min, during which other "
        f"processes kept {others:.1f} of the {env['cpus']} CPUs busy on average.")
    if busy:
        add("")
        add("> **The machine was busy with other work during this run**: the absolute "
            "times are inflated and noisy, and the PyTorch path suffers most (its two "
            "OpenMP threads wait for each other at every operation whenever one of them "
            "is descheduled; compare the 1-thread row), and so does MXNet on two "
            "threads. The paths took turns within the run, but judge the targets on an "
            "otherwise idle machine.")
    add("")
    add("Model: the chapter's item-based AutoRec (D2L 16.4): "
        f"{cmp['cols']} users in, {HIDDEN} sigmoid hidden units, dropout {DROPOUT}, "
        f"{cmp['cols']} out; MovieLens 100K random 90/10 split (seed 0), "
        f"{cmp['rows']} item rows, batch {BATCH}, Adam (lr {LR}, weight decay {WD}). "
        f"Seconds per epoch are medians over {len(p['torch']['eval'])} timed runs per "
        "path (each run a few epochs, after a warm-up; each path in a fresh process; "
        "the paths take turns). \"With evaluation\" includes the per-epoch test RMSE "
        "(a forward pass over all item rows), as the notebooks and the book run it.")
    add("")
    add("## Time per epoch")
    add("")
    add("| path | s/epoch with evaluation | s/epoch training only | × limit (with "
        "evaluation) | × limit (training only) | book's loop ÷ this (with evaluation) |")
    add("|---|---:|---:|---:|---:|---:|")
    for k in p:
        add(f"| {PATHS[k][2]} | {sec[k]['eval']:.3f} | {sec[k]['noeval']:.3f} | "
            f"{sec[k]['eval'] / lim['eval']:.2f} | {sec[k]['noeval'] / lim['noeval']:.2f} | "
            f"{sec['book']['eval'] / sec[k]['eval']:.2f} |")
    add(f"| **hardware limit**: matrix multiplies at {best / 1e9:.0f} GFLOP/s | "
        f"{lim['eval']:.3f} | {lim['noeval']:.3f} | 1.00 | 1.00 | |")
    add("")
    ours = p["mxnet"]["runs"][0]
    mxt, mxe, mxo = ours.get("mx_threads"), ours.get("mx_engine"), ours.get("mx_tuning")

    def versus(key):  # "0.200 s against 0.182 s", a row against our MXNet path
        return f"{sec[key]['eval']:.3f} s per epoch against {sec['mxnet']['eval']:.3f} s"

    add("Threads: the PyTorch path uses PyTorch's default "
        f"({cmp['threads']} threads here). MXNet 1.x on Intel CPUs runs its operators on "
        "half as many threads as there are logical CPUs (it assumes two hyper-threads "
        "per core), which is what the book's loop gets; `autorec_common.mxnet` sets "
        "`MXNET_OMP_MAX_THREADS` to the number of physical cores before it imports "
        + (f"MXNet ({mxt} here)." if mxt else "MXNet (not set here: an explicit "
           "setting in the environment wins).")
        + (" With the CPU-only build it also turns MXNet's operator tuning off "
           "(`MXNET_USE_OPERATOR_TUNING=0`): the tuning decides per operator, from "
           "timings taken at start-up and the same halved core count, whether more than "
           "one thread pays, and on this machine it leaves the elementwise operators on "
           "one thread (our path with the tuning on: "
           f"{versus('mxnet_tuned')} with it off)."
           if mxo == "0" and "mxnet_tuned" in sec else "")
        + (" And it selects MXNet's synchronous engine "
           f"(`MXNET_ENGINE_TYPE={mxe}`): MXNet's default asynchronous engine adds "
           "scheduling threads that compete with the operators' threads for the same "
           "cores (our path on that engine: "
           f"{versus('mxnet_async')} on the synchronous one). Under the synchronous "
           "engine DataLoader "
           "worker processes never answer, so the book's loop with our settings runs "
           "its DataLoader workers as threads; the DataLoader's per-row batching then "
           "shares the training process instead of running in processes of its own."
           if mxe == "NaiveEngine" and "mxnet_async" in sec else "")
        + " The book's loop runs with 1 process per epoch plus the DataLoader's "
        f"{p['book']['runs'][0]['workers']} worker processes "
        "(`d2l.get_dataloader_workers()`), with d2l's plot replaced by a no-op. With "
        "`last_batch=\"rollover\"` it trains full batches of 256 only and carries the "
        "rows left over into the next epoch: 6 or 7 batches per epoch, 1,682 rows on "
        "average, where our loops train all 1,682 rows of every epoch in 7 batches "
        "(the last of 146 rows).")
    add("")
    add("**The hardware limit.** One epoch multiplies matrices worth "
        f"{cmp['flops']['train'] / 1e9:.2f} GFLOP in training and "
        f"{cmp['flops']['eval'] / 1e9:.2f} GFLOP in the evaluation "
        f"({cmp['flops']['total'] / 1e9:.2f} GFLOP in all). We count 2·m·k·n per "
        "product of an m×k and a k×n matrix; training is five such products over "
        "the item rows (forward: encoder and decoder; backward: the decoder's input "
        "gradient and weight gradient, and the encoder's weight gradient; the input "
        "is data and needs no gradient, so backward is 1.5× forward), the evaluation "
        "is one forward pass (two products). Elementwise work (biases, sigmoid, "
        "dropout, masking, loss, Adam) is not counted. The limit divides this work by "
        "the best single-precision rate `torch.mm` reached on the model's own matrix "
        "shapes in this run, with PyTorch's default number of threads or with one "
        f"(median of {cmp['rate_samples']} measurements per shape and thread count, one "
        f"after each path's run, each the median of {cmp['rate_repeats']} products):")
    add("")
    threads = sorted({int(k.split("/")[1]) for k in cmp["rates"]}, reverse=True)
    add("| product (m × k × n) | " + " | ".join(
        f"GFLOP/s, {t} thread{'s' if t > 1 else ''}" for t in threads) + " |")
    add("|---|" + "---:|" * len(threads))
    for shape in dict.fromkeys(k.split("/")[0] for k in cmp["rates"]):
        add(f"| {shape.replace('x', ' × ')} | " + " | ".join(
            f"{cmp['rates'][f'{shape}/{t}'] / 1e9:.0f}" for t in threads) + " |")
    add("")
    own = products_at_own_rates(cmp)
    add(f"Timed at each shape's own rate in this table ({cmp['threads']} threads), the "
        f"epoch's products alone take {own:.3f} s, {own / lim['eval']:.2f}× the limit, "
        "since not every shape reaches the best rate. The rest of the PyTorch path's "
        f"{sec['torch']['eval']:.3f} s ({sec['torch']['eval'] - own:.3f} s, "
        f"{1 - own / sec['torch']['eval']:.0%}) is the work the limit does not count: "
        "dropout's random numbers (drawn one at a time on one core), the sigmoid, the "
        "mask, the loss, the biases, Adam's update, and Python. The target keeps the "
        "single best rate, the stricter measure of what the machine can do.")
    add("")
    add("## Memory")
    add("")
    add(f"One dense MovieLens 100K interaction matrix ({cmp['rows']} × {cmp['cols']} "
        f"float32) takes {cmp['matrix_mib']:.1f} MiB. *Peak RSS* is the process's "
        "largest resident set (Linux `VmHWM`) during the timed runs; *growth* is that "
        "minus the baseline taken once the libraries are imported and the caller's "
        "matrices exist (the mark is reset there through `/proc/self/clear_refs`): "
        "parameters, gradients, Adam's moments, activations, the evaluation's "
        "reconstruction, and the libraries' own start-up allocations. *Extra copies* "
        "comes from a separate run: one epoch without evaluation on a tall synthetic "
        f"matrix ({copies['torch']['matrix_mib']:.0f} MiB) with a 32-unit model, after "
        "a warm-up epoch on 512 of its rows, so that the matrix dominates: peak growth "
        "÷ matrix size.")
    add("")
    add("| path | peak RSS (MiB) | growth over baseline (MiB) | extra copies of the matrix |")
    add("|---|---:|---:|---:|")
    for k in ("torch", "mxnet", "book"):
        runs = p[k]["runs"]
        peak = median([r["baseline_mib"] + r["peak_growth_mib"] for r in runs])
        add(f"| {PATHS[k][2]} | {peak:.0f} | "
            f"{median([r['peak_growth_mib'] for r in runs]):.0f} | "
            f"{copies[k]['copies']:.2f} |")
    add("")
    add("Our loops use the caller's NumPy matrix in place on a CPU (PyTorch's "
        "`torch.as_tensor` and MXNet's zero-copy `from_numpy` share its memory) and "
        "score the evaluation on the observed entries only. The book's code keeps a "
        "second MXNet copy of the training matrix for its evaluation "
        "(`np.array(train_inter_mat)`, which passes through a temporary NumPy copy "
        "on its way: two copies at the peak); the memory of its DataLoader worker "
        "processes is not counted here.")
    add("")
    add("## Targets")
    add("")
    for text, ok in targets(cmp, copies):
        add(f"- **{'PASS' if ok else 'FAIL'}** {text}")
    add("")
    add("## How time grows with the hidden size (PyTorch path, MovieLens 100K)")
    add("")
    add("| hidden units | GFLOP/epoch | s/epoch with evaluation | s/epoch training only "
        "| limit (s) | × limit |")
    add("|---:|---:|---:|---:|---:|---:|")
    for h in hidden:
        add(f"| {h['hidden']} | {h['gflop']:.1f} | {h['seconds']:.3f} | {h['noeval']:.3f} | "
            f"{h['limit']:.3f} | {h['seconds'] / h['limit']:.2f} |")
    add("")
    add("The work grows linearly with the hidden size; small models are dominated by "
        "fixed costs per batch (Python, elementwise operations, thread start-up), so "
        "their time over the limit is larger.")
    add("")
    add("## How time grows with items and users (PyTorch path, 500 hidden units)")
    add("")
    add("| data (items × users) | one dense matrix (MiB) | GFLOP/epoch | s/epoch with "
        "evaluation | s/epoch training only | limit (s) | × limit | 25 epochs (min) "
        "| peak RSS (MiB) |")
    add("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in shapes:
        mark = "*" if s["extrapolated"] else ""
        add(f"| {s['name']} ({s['items']:,} × {s['users']:,}) | {s['matrix_mib']:,.0f} | "
            f"{s['gflop']:,.0f} | {s['seconds']:.2f}{mark} | {s['noeval']:.2f}{mark} | "
            f"{s['limit']:.2f} | {s['seconds'] / s['limit']:.2f} | "
            f"{25 * s['seconds'] / 60:.1f}{mark} | {s['peak_mib']:,.0f}{mark} |")
    add("")
    add("The work per epoch is proportional to items × users × hidden units (every item "
        "row is a dense vector over all users). MovieLens 1M and 10M are synthetic "
        "matrices of their shape and density (random 1-5 ratings, 10 % of them held "
        "out for the evaluation): the work of a dense AutoRec depends on the shape, "
        "not on the values.")
    ext = [s for s in shapes if s["extrapolated"]]
    if ext:
        s = ext[0]
        add("")
        add(f"\\* Extrapolated: trained on the first {s['measured_rows']:,} of the "
            f"{s['items']:,} item rows at full width ({s['users']:,} users, so each "
            "batch and each Adam step costs what it costs on the whole matrix), times "
            f"{s['items']:,} ÷ {s['measured_rows']:,}; peak RSS is that of the partial "
            f"run. The whole dense matrix takes {s['matrix_mib'] / 1024:.1f} GiB per "
            "copy (training, test and the evaluation's reconstruction make three), "
            "and the model with Adam's state another "
            f"{4 * 4 * (2 * s['users'] * HIDDEN) / 2**30:.1f} GiB.")
    add("")
    add("**GPU:** not yet measured: no GPU was available to this run. On a machine "
        "with a CUDA GPU the same loops move the matrix to the GPU once "
        "(`art.try_gpu()`, `arm.try_gpu()`); this benchmark measures the CPU paths only.")
    add("")
    add("Reproduce with `make bench`, which writes this file, its raw figures "
        "(`bench/results.json`) and the speed paragraph of the README. Options: "
        "`python bench/bench.py --help`.")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3,
                        help="turns of the paths (default 3)")
    parser.add_argument("--quick", action="store_true",
                        help="one round, fewer epochs, no ML-10M shape (a smoke test)")
    parser.add_argument("--out", default=str(COMMITTED),
                        help="where to write the report (default bench/results.md)")
    parser.add_argument("--render", metavar="RAW_JSON",
                        help="write the report and the README paragraph from saved raw "
                             "figures (bench/results.json); measure nothing")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("spec", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(WORKERS[args.worker](json.loads(args.spec))))
        return 0

    if args.render:
        raw = json.loads(Path(args.render).read_text())
        text = report(**raw)
        Path(args.out).write_text(text)
        if Path(args.out) == COMMITTED:
            update_readme(readme_summary(**raw))
        print(text)
        return 0

    def log(msg):
        print(msg, flush=True)

    start, share = time.perf_counter(), CpuShare()
    env = environment()
    rounds = 1 if args.quick else args.rounds
    spec = {"epochs": 2 if args.quick else 4, "reps": 1 if args.quick else 2, "warmup": 1}
    log(f"Timing the training paths ({rounds} rounds) ...")
    cmp = compare_paths(rounds, spec, log)
    log("Copies of the interaction matrix ...")
    copies = copies_check(8192 if args.quick else 32768, log)
    log("Scaling with the hidden size ...")
    hidden = scale_hidden([100, 500] if args.quick else [100, 250, 500, 1000, 2000],
                          {"epochs": 3, "reps": 1, "warmup": 1}, cmp["best_rate"], log)
    log("Scaling with items and users ...")
    shapes = scale_shapes(cmp["best_rate"], log, args.quick)
    raw = {"env": env, "cmp": cmp, "copies": copies, "hidden": hidden, "shapes": shapes,
           "seconds": time.perf_counter() - start, "others": share.others()}
    text = report(**raw)
    Path(args.out).write_text(text)
    if Path(args.out) == COMMITTED:  # the committed report: its figures, the README
        (HERE / "results.json").write_text(json.dumps(raw, indent=1) + "\n")
        update_readme(readme_summary(**raw))
    print()
    print(text)
    print(f"Written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
