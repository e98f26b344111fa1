#!/usr/bin/env python
"""``make bench``'s busy-machine scenario: each path's thread settings, timed on
the machine as it is and beside one CPU-bound process of the benchmark's own.

A student's laptop runs a browser beside the notebook; a Colab runtime's two
vCPUs are shared. OpenMP threads that spin at every barrier while one of them
is descheduled can make an epoch many times slower there. Each candidate
setting runs in a fresh interpreter (OpenMP and MXNet read their settings when
they load), idle and busy back to back, round after round; each figure keeps
the load average and the CPUs other processes kept busy while it ran.

    python bench/busy.py [--rounds 3] [--quick] [--out busy.md]

``make bench`` runs it after its other measurements (``measure_busy``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from probes import CpuShare
from records import Record, median

HERE = Path(__file__).resolve().parent

# The thread variables a setting may set; every other one is removed from the
# worker's environment, so that a caller's own settings do not leak in.
THREAD_VARS = ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "MKL_NUM_THREADS",
               "MXNET_OMP_MAX_THREADS", "MXNET_ENGINE_TYPE", "MXNET_USE_OPERATOR_TUNING",
               "AUTOREC_THREAD_DEFAULTS")
LIBRARY = {"AUTOREC_THREAD_DEFAULTS": "0"}  # the libraries' defaults, not the package's

PASSIVE = {**LIBRARY, "OMP_WAIT_POLICY": "PASSIVE"}
NAIVE = {"MXNET_ENGINE_TYPE": "NaiveEngine"}  # MXNet's synchronous engine

# (path, key, what it is, environment). "package" is what autorec_common applies
# (its OpenMP waiting; for MXNet, use_fast_cpu_settings() in every row).
SETTINGS = [
    ("torch", "library", "PyTorch's defaults (one thread per CPU)", LIBRARY),
    ("torch", "package", "autorec_common's defaults", {}),
    ("torch", "passive", "`OMP_WAIT_POLICY=PASSIVE`", PASSIVE),
    ("torch", "one", "one thread (`OMP_NUM_THREADS=1`)", {**LIBRARY, "OMP_NUM_THREADS": "1"}),
    ("mxnet", "library", "OpenMP's default waiting", LIBRARY),
    ("mxnet", "package", "autorec_common's defaults", {}),
    ("mxnet", "passive", "`OMP_WAIT_POLICY=PASSIVE`", PASSIVE),
    ("mxnet", "naive", "synchronous engine, OpenMP's default waiting", {**LIBRARY, **NAIVE}),
    ("mxnet", "naive_package", "synchronous engine, autorec_common's waiting", NAIVE),
    ("mxnet", "one", "one thread (`OMP_NUM_THREADS=1`)", {**LIBRARY, "OMP_NUM_THREADS": "1"}),
]
SPEC = {"epochs": 3, "reps": 2, "warmup": 1}  # per worker: epochs per timing, timings
QUICK = {"epochs": 2, "reps": 1, "warmup": 1}
SPIN = "while True: pass"  # the load: one CPU-bound process, as a browser tab can be


@dataclass
class BusyRun(Record):
    """One setting's run: median seconds per epoch (with the per-epoch evaluation),
    the 1-minute load average at its start, and the CPUs other processes (not
    this benchmark, not its load) kept busy while it ran."""
    seconds: float
    load: float
    others: float


@dataclass
class BusySetting(Record):
    path: str
    key: str
    label: str
    env: dict[str, str]
    idle: list[BusyRun]
    busy: list[BusyRun]

    @property
    def idle_s(self) -> float:
        return median([r.seconds for r in self.idle])

    @property
    def busy_s(self) -> float:
        return median([r.seconds for r in self.busy])


def worker_env(setting_env: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARS}
    return {**env, **setting_env}


def run_once(path: str, env: dict, spec: dict, loaded: bool, spawn) -> BusyRun:
    """One fresh worker of ``bench.py`` on ``path`` (``spawn``: bench.spawn),
    beside a spinning process of our own if ``loaded``."""
    load, share = os.getloadavg()[0], CpuShare()
    spinner = subprocess.Popen([sys.executable, "-c", SPIN]) if loaded else None
    try:
        out = spawn(path, spec, env=worker_env(env))
    finally:
        if spinner:
            spinner.kill()
            spinner.wait()
    return BusyRun(seconds=median(out["eval"]), load=load, others=share.others())


def measure_busy(rounds: int, spec: dict, log, settings=SETTINGS,
                 spawn=None) -> list[BusySetting]:
    """Every setting idle and busy, back to back, in turns round after round
    (the order of idle and busy alternates from round to round)."""
    if spawn is None:
        import bench
        spawn = bench.spawn
    out = [BusySetting(path=p, key=k, label=lab, env=dict(e), idle=[], busy=[])
           for p, k, lab, e in settings]
    for r in range(rounds):
        for s in out:
            order = (False, True) if r % 2 == 0 else (True, False)
            for loaded in order:
                run = run_once(s.path, s.env, spec, loaded, spawn)
                (s.busy if loaded else s.idle).append(run)
                log(f"  round {r + 1}/{rounds}: {s.path:5s} {s.key:13s} "
                    f"{'busy' if loaded else 'idle'} {run.seconds:.3f} s/epoch "
                    f"(load {run.load:.1f}, others {run.others:.1f} CPUs)")
    return out


# --- the report ---------------------------------------------------------------------

def verdicts(settings: list[BusySetting]) -> dict:
    """Per path: the package's setting against the best busy and best idle ones.
    Targets (issue 25): busy within 1.5x of the best setting, idle at most 10 %
    slower than the best."""
    out = {}
    for path in dict.fromkeys(s.path for s in settings):
        mine = [s for s in settings if s.path == path]
        pkg = next((s for s in mine if s.key == "package"), None)
        if pkg is None:
            continue
        best_busy = min(s.busy_s for s in mine)
        best_idle = min(s.idle_s for s in mine)
        out[path] = {"busy": pkg.busy_s / best_busy, "idle": pkg.idle_s / best_idle}
    return out


def section(settings: list[BusySetting]) -> str:
    """The report's section on the busy machine (markdown)."""
    def cell(runs, secs):
        return (f"{secs:.3f} ({min(r.load for r in runs):.1f}-{max(r.load for r in runs):.1f}"
                f"; {median([r.others for r in runs]):.1f})")

    rows = []
    for s in settings:
        best_busy = min(x.busy_s for x in settings if x.path == s.path)
        best_idle = min(x.idle_s for x in settings if x.path == s.path)
        rows.append(f"| {s.path} | {s.label} | {cell(s.idle, s.idle_s)} | "
                    f"{s.idle_s / best_idle:.2f}x | {cell(s.busy, s.busy_s)} | "
                    f"{s.busy_s / best_busy:.2f}x |")
    checks = []
    for path, v in verdicts(settings).items():
        ok = v["busy"] <= 1.5 and v["idle"] <= 1.10
        checks.append(f"- **{'PASS' if ok else 'FAIL'}** {path}: autorec_common's defaults "
                      f"busy {v['busy']:.2f}x the best setting (target <= 1.5x), idle "
                      f"{v['idle']:.2f}x the best (target <= 1.10x)")
    n = len(settings[0].idle)
    return "\n\n".join([
        "## On a busy machine",
        ("Seconds per epoch with the per-epoch evaluation (median of "
         f"{n} fresh interpreters per cell, each the median of its timed repetitions), "
         "*idle* on the machine as it was and *busy* beside one CPU-bound process of the "
         "benchmark's own, back to back. In brackets: the 1-minute load average at the "
         "runs' starts (range) and the CPUs other processes kept busy meanwhile "
         "(median). Ratios are against the best setting of the same path and column."),
        "| path | setting | idle s/epoch | idle ratio | busy s/epoch | busy ratio |\n"
        "|---|---|--:|--:|--:|--:|\n" + "\n".join(rows),
        "\n".join(checks),
    ]) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, help="turns of the settings (default 3; "
                                                   "1 with --quick)")
    parser.add_argument("--quick", action="store_true", help="one round, fewer epochs")
    parser.add_argument("--only", help="comma-separated paths or path:key settings, "
                                       "e.g. torch,mxnet:async")
    parser.add_argument("--out", help="write the section here (markdown) and its "
                                      "figures beside it (.json)")
    args = parser.parse_args(argv)
    spec = QUICK if args.quick else SPEC
    only = set(args.only.split(",")) if args.only else None
    settings = [s for s in SETTINGS if not only or {s[0], f"{s[0]}:{s[1]}"} & only]
    start = time.perf_counter()
    rounds = args.rounds or (1 if args.quick else 3)
    res = measure_busy(rounds, spec, lambda m: print(m, flush=True),
                       settings)
    if args.out:
        Path(args.out).with_suffix(".json").write_text(
            json.dumps([s.to_dict() for s in res], indent=1) + "\n")
    text = section(res) + f"\n({(time.perf_counter() - start) / 60:.1f} min)\n"
    print("\n" + text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
