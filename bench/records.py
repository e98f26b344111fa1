"""The benchmark's settings, the work in one epoch, and the typed records of
one run of ``make bench`` as ``bench/results.json`` stores them."""

from __future__ import annotations

import dataclasses
import json
import statistics
import typing
from dataclasses import dataclass
from pathlib import Path

from autorec_common.results import atomic_write_text

# The chapter's model and training settings (D2L 16.4).
HIDDEN, DROPOUT, BATCH, LR, WD = 500, 0.05, 256, 0.002, 1e-5

# The MXNet settings a worker may be given, and the environment variables that
# carry them (autorec_common.mxnet_cpu keeps an explicit setting).
MX_SETTINGS = {"mx_threads": "MXNET_OMP_MAX_THREADS", "mx_engine": "MXNET_ENGINE_TYPE",
               "mx_tuning": "MXNET_USE_OPERATOR_TUNING"}


def median(values) -> float:
    return float(statistics.median(values))


def matmul_shapes(rows: int, cols: int, hidden: int, batch: int = BATCH) -> list:
    """The (m, k, n) shapes of an epoch's products: the batches' forward and
    backward products, then the evaluation's over the full matrix."""
    return [(batch, cols, hidden), (batch, hidden, cols), (hidden, batch, cols),
            (cols, batch, hidden), (rows, cols, hidden), (rows, hidden, cols)]


def rate_key(shape, threads: int) -> str:
    """How the measured matmul rates are keyed: ``"256x943x500/2"``."""
    return "x".join(map(str, shape)) + f"/{threads}"


# --- records -------------------------------------------------------------------

class Record:
    """A dataclass that converts to and from the JSON of ``bench/results.json``."""

    @classmethod
    def from_dict(cls, data: dict):
        return _build(cls, data)

    def to_dict(self) -> dict:
        """Plain JSON values; fields that are None are left out."""
        return dataclasses.asdict(self, dict_factory=lambda kv: {k: v for k, v in kv
                                                                 if v is not None})


def _build(tp, value):
    """``value`` (parsed JSON) as ``tp``: a record, a list or dict of records, or as is."""
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        return tp(**{k: _build(hints[k], v) for k, v in value.items()})
    args = typing.get_args(tp)
    if typing.get_origin(tp) is list and dataclasses.is_dataclass(args[0]):
        return [_build(args[0], v) for v in value]
    if typing.get_origin(tp) is dict and dataclasses.is_dataclass(args[1]):
        return {k: _build(args[1], v) for k, v in value.items()}
    return value


@dataclass
class Flops(Record):
    """Floating-point operations of an epoch's matrix products."""
    train: int
    eval: int
    total: int


@dataclass
class Limit(Record):
    """Seconds per epoch the products need at the best measured rate."""
    eval: float
    noeval: float


def epoch_flops(rows: int, cols: int, hidden: int, evaluate: bool = True) -> Flops:
    """Operations of the matrix products in one AutoRec epoch over ``rows`` rows.

    An (m x k) times (k x n) product counts 2*m*k*n; ``unit`` is one such product
    over all rows. Training does five: encoder and decoder forward, then the
    decoder's input gradient and the two weight gradients (the input is data,
    so backward is 1.5x forward). The evaluation is one forward pass (two).
    Elementwise work (biases, activations, dropout, loss, Adam) is not counted.
    """
    unit = 2 * rows * cols * hidden
    train, evaluation = 5 * unit, (2 * unit if evaluate else 0)
    return Flops(train=train, eval=evaluation, total=train + evaluation)


@dataclass
class Environment(Record):
    when: str
    python: str
    numpy: str
    torch: str
    cpus: int
    cpu: str
    mxnet: str


@dataclass
class Run(Record):
    """One worker's answer: its memory and the settings it ran with."""
    baseline_mib: float  # RSS once the caller's matrices exist
    peak_growth_mib: float  # peak RSS over that baseline
    matrix_mib: float  # one dense training matrix
    peak_exact: bool = True  # the peak mark could be reset at the baseline
    shape: list[int] | None = None  # of the training matrix
    threads: int | None = None  # PyTorch's
    workers: int | None = None  # the book's DataLoader workers
    mx_threads: str | None = None  # MXNET_OMP_MAX_THREADS
    mx_engine: str | None = None  # MXNET_ENGINE_TYPE
    mx_tuning: str | None = None  # MXNET_USE_OPERATOR_TUNING
    round_eval: float | None = None  # this run's median s/epoch with evaluation
    copies: float | None = None  # copies check: peak growth / matrix size

    @property
    def peak_mib(self) -> float:
        return self.baseline_mib + self.peak_growth_mib


@dataclass
class PathTimes(Record):
    """Seconds per epoch of one path over all rounds, and each round's run."""
    eval: list[float]
    noeval: list[float]
    runs: list[Run]

    @property
    def seconds(self) -> float:
        """Median seconds per epoch with the per-epoch evaluation."""
        return median(self.eval)

    @property
    def training_seconds(self) -> float:
        return median(self.noeval)


@dataclass
class Comparison(Record):
    """The paths timed in turns on MovieLens 100K, and the hardware limit."""
    rows: int
    cols: int
    paths: dict[str, PathTimes]
    rates: dict[str, float]  # rate_key(shape, threads): median FLOP/s of torch.mm
    rate_samples: int  # measurements per shape and thread count
    rate_repeats: int  # products per measurement
    best_rate: float
    round_rates: list[float]  # each round's best per-shape median rate
    flops: Flops
    threads: int  # PyTorch's default
    limit: Limit
    matrix_mib: float


@dataclass
class HiddenRow(Record):
    hidden: int
    seconds: float
    noeval: float
    gflop: float
    limit: float


@dataclass
class ShapeRow(Record):
    name: str
    items: int
    users: int
    seconds: float
    noeval: float
    gflop: float
    limit: float
    measured_rows: int
    extrapolated: bool
    matrix_mib: float
    peak_mib: float


@dataclass
class Results(Record):
    """Everything one run of ``make bench`` measured."""
    env: Environment
    cmp: Comparison
    copies: dict[str, Run]
    hidden: list[HiddenRow]
    shapes: list[ShapeRow]
    seconds: float  # the whole run's wall-clock time
    others: float  # mean CPUs that other processes kept busy meanwhile
    scale: dict | None = None  # dense against sparse as the data grows (scale.py)
    busy: list[dict] | None = None  # bench/busy.py's BusySetting records

    @classmethod
    def load(cls, path: str | Path) -> Results:
        return cls.from_dict(json.loads(Path(path).read_text()))

    def save(self, path: str | Path) -> None:
        atomic_write_text(path, json.dumps(self.to_dict(), indent=1) + "\n")
