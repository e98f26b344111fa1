"""What Linux's /proc and the platform say about this process and machine: peak
memory, the CPUs other processes keep busy, and the versions that were measured."""

from __future__ import annotations

import contextlib
import os
import platform
import time
from datetime import datetime, timezone

from records import Environment


def memory_kib() -> dict:
    """Current and peak resident set size of this process (KiB), from /proc."""
    with open("/proc/self/status") as status:
        fields = dict(line.split(":", 1) for line in status if ":" in line)
    return {key: int(fields[key].split()[0]) for key in ("VmRSS", "VmHWM")}


class MemoryWatch:
    """Peak RSS growth (MiB) over a baseline taken at construction, where the
    kernel's peak mark (VmHWM) is reset to the current RSS if Linux allows."""

    def __init__(self):
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            self.exact = True
        except OSError:
            self.exact = False
        self.baseline = memory_kib()["VmRSS"]

    def result(self) -> dict:
        peak = memory_kib()["VmHWM"]
        return {"baseline_mib": self.baseline / 1024,
                "peak_growth_mib": (peak - self.baseline) / 1024, "peak_exact": self.exact}


class CpuShare:
    """How many CPUs other processes kept busy while the benchmark ran
    (Linux: /proc/stat minus this process and its waited-for children)."""

    def __init__(self):
        self.start = self._sample()

    @staticmethod
    def _sample():
        try:
            with open("/proc/stat") as f:
                fields = [int(v) for v in f.readline().split()[1:]]
            busy = (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # not idle
        except (OSError, ValueError, IndexError):
            busy = float("nan")
        t = os.times()
        return busy, t.user + t.system + t.children_user + t.children_system, time.monotonic()

    def others(self) -> float:
        """Mean number of CPUs other processes kept busy since construction."""
        busy0, mine0, t0 = self.start
        busy1, mine1, t1 = self._sample()
        return max(0.0, (busy1 - busy0) - (mine1 - mine0)) / (t1 - t0)


def environment() -> Environment:
    import numpy
    import torch

    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        cpu = next((line.split(":", 1)[1].strip() for line in f
                    if line.startswith("model name")), cpu)
    try:  # the version without importing MXNet into this process
        from importlib.metadata import version
        mxnet = version("mxnet")
    except Exception:  # noqa: BLE001
        mxnet = "not installed"
    return Environment(when=f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M}",
                       python=platform.python_version(), numpy=numpy.__version__,
                       torch=torch.__version__, cpus=os.cpu_count(), cpu=cpu, mxnet=mxnet)
