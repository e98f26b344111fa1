"""OpenMP defaults that keep training fast when other programs share the CPUs.

PyTorch and MXNet run their operators on OpenMP threads. By default a thread
that reaches a barrier first spins for a while (GNU OpenMP: 300,000 turns of
its loop, a few milliseconds) before it sleeps; when another program holds a
core, its partner is descheduled and the spinning wastes the time it waits
for. ``OMP_WAIT_POLICY=PASSIVE`` makes it sleep at once, which on an idle
machine costs a wake-up at every barrier. The default here spins briefly and
then sleeps: ``GOMP_SPINCOUNT`` (read by GNU OpenMP, which the Linux wheels of
PyTorch and MXNet use) sets the turns, and other OpenMP runtimes read the
passive policy. ``make bench`` (bench/busy.py) measures this default against
the others, idle and beside a CPU-bound process.

OpenMP reads these variables when the library loads, so they are set when
``autorec_common`` is imported: import it before ``torch`` or ``mxnet``.
If either variable is already in the environment, neither is set, and
``AUTOREC_THREAD_DEFAULTS=0`` leaves both to the libraries.
"""

from __future__ import annotations

import os

SPIN = "3000"  # GNU OpenMP's turns before a waiting thread sleeps (make bench)
DEFAULTS = {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": SPIN}
OPT_OUT = "AUTOREC_THREAD_DEFAULTS"


def apply_thread_defaults() -> dict:
    """Set ``DEFAULTS`` unless the environment already says how OpenMP threads
    wait; return the ones set. Does nothing when ``AUTOREC_THREAD_DEFAULTS=0``."""
    if os.environ.get(OPT_OUT, "").strip() == "0":
        return {}
    if any(name in os.environ for name in DEFAULTS):
        return {}
    os.environ.update(DEFAULTS)
    return dict(DEFAULTS)
