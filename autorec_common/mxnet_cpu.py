"""MXNet speed settings for a CPU, applied only when asked for.

Importing :mod:`autorec_common.mxnet` leaves MXNet's runtime as MXNet sets it
up. A reader who wants the CPU configuration that this collection's
benchmark and notebooks use calls, *before MXNet is imported*::

    from autorec_common.mxnet_cpu import use_fast_cpu_settings
    use_fast_cpu_settings()          # returns the settings it applied
    from autorec_common import mxnet as arm

It changes only when and on how many threads operators run, never what they
compute (tested): the same model trains to the same numbers without it.
What each setting does, and why it helps on a small machine, is the subject of
notebook 13 (performance and reproducibility):

- ``MXNET_OMP_MAX_THREADS``: one operator thread per physical core. MXNet 1.x
  on Intel CPUs assumes two hyper-threads per core and uses half the logical
  CPUs, which on machines without hyper-threads leaves half the cores idle.
  Skipped when ``OMP_NUM_THREADS`` or ``MXNET_OMP_MAX_THREADS`` is set.
- ``MXNET_USE_OPERATOR_TUNING=0`` (CPU-only build): turns off MXNet's start-up
  timing of elementwise operators, which picks their thread count from the
  same halved core count and can leave them on one thread.
- The engine stays MXNet's own asynchronous one: the synchronous
  ``NaiveEngine`` slows down several-fold when another program holds a core
  (``make bench``, bench/busy.py, measures both). Under a ``NaiveEngine`` you
  choose yourself (``MXNET_ENGINE_TYPE=NaiveEngine``), ``gluon.data.DataLoader``
  worker processes never answer, so a DataLoader with ``num_workers > 0`` is
  given worker threads (``thread_pool=True``) instead, with a warning.

A variable that is already set in the environment is left as it is.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
import warnings

__all__ = ["use_fast_cpu_settings", "physical_cores", "cpu_only_build"]


def physical_cores() -> int | None:
    """Physical cores this process may run on (Linux), counting the
    hyper-threads of one core once; ``None`` where that cannot be read."""
    try:
        cores = set()
        for cpu in os.sched_getaffinity(0):
            path = f"/sys/devices/system/cpu/cpu{cpu}/topology/thread_siblings_list"
            with open(path) as siblings:
                cores.add(siblings.read().strip())
        return len(cores) or None
    except (AttributeError, OSError):
        return None


def cpu_only_build() -> bool:
    """Whether the installed MXNet is the CPU-only ``mxnet`` distribution
    (GPU builds are called ``mxnet-cu...``)."""
    from importlib import metadata

    try:
        metadata.version("mxnet")
        return True
    except metadata.PackageNotFoundError:
        return False


def use_fast_cpu_settings() -> dict:
    """Apply the CPU speed settings described in this module's docstring and
    import MXNet. Returns ``{variable: value}`` for the three environment
    variables as MXNet will see them (``None`` for one left unset: for
    ``MXNET_ENGINE_TYPE``, MXNet's asynchronous engine).

    Raises ``RuntimeError`` if MXNet has already been imported: its engine,
    threads and operator tuning are fixed when it loads.
    """
    if "mxnet" in sys.modules:
        raise RuntimeError("use_fast_cpu_settings() must run before MXNet is imported "
                           "(MXNet reads these settings when it loads); call it first, "
                           "in a fresh kernel, before `import mxnet` or "
                           "`from autorec_common import mxnet`")
    if not {"OMP_NUM_THREADS", "MXNET_OMP_MAX_THREADS"} & set(os.environ):
        cores = physical_cores()
        if cores:
            os.environ["MXNET_OMP_MAX_THREADS"] = str(cores)
    if cpu_only_build():
        os.environ.setdefault("MXNET_USE_OPERATOR_TUNING", "0")

    from . import mxnet as arm  # the NumPy compatibility shim, then MXNet

    if os.environ.get("MXNET_ENGINE_TYPE") == "NaiveEngine":
        _threads_for_dataloader_workers(arm.gluon)
    return {var: os.environ.get(var) for var in
            ("MXNET_OMP_MAX_THREADS", "MXNET_USE_OPERATOR_TUNING", "MXNET_ENGINE_TYPE")}


def _threads_for_dataloader_workers(gluon) -> None:
    """Under the NaiveEngine, give ``gluon.data.DataLoader`` worker threads
    instead of worker processes (which would never answer)."""
    loader = gluon.data.DataLoader
    if getattr(loader.__init__, "_autorec_patched", False):
        return
    original = loader.__init__
    signature = inspect.signature(original)

    @functools.wraps(original)
    def __init__(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        if bound.arguments["num_workers"] > 0 and not bound.arguments["thread_pool"]:
            warnings.warn("MXNet runs its synchronous NaiveEngine here (chosen by "
                          "MXNET_ENGINE_TYPE), under which "
                          "DataLoader worker processes never answer; this DataLoader "
                          "uses worker threads instead (thread_pool=True).", stacklevel=2)
            bound.arguments["thread_pool"] = True
        original(*bound.args, **bound.kwargs)

    __init__._autorec_patched = True
    loader.__init__ = __init__
