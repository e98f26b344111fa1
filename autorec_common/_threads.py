"""OpenMP defaults that keep training fast when other programs share the CPUs.

PyTorch and MXNet run their operators on OpenMP threads. By default a thread
that reaches a barrier first spins for a while before it sleeps; when another
program holds a core, its partner is descheduled and the spinning wastes the
time it waits for. ``OMP_WAIT_POLICY=PASSIVE`` makes it sleep at once.
``make bench`` (bench/busy.py) measures this default against the others.

OpenMP reads these variables when the library loads, so they are set when
``autorec_common`` is imported: import it before ``torch`` or ``mxnet``.
A variable already in the environment is kept, and ``AUTOREC_THREAD_DEFAULTS=0``
leaves all of them to the libraries.
"""

from __future__ import annotations

import os

DEFAULTS = {"OMP_WAIT_POLICY": "PASSIVE"}
OPT_OUT = "AUTOREC_THREAD_DEFAULTS"


def apply_thread_defaults() -> dict:
    """Set each of ``DEFAULTS`` that the environment does not set already;
    return the ones set. Does nothing when ``AUTOREC_THREAD_DEFAULTS=0``."""
    if os.environ.get(OPT_OUT, "").strip() == "0":
        return {}
    applied = {k: v for k, v in DEFAULTS.items() if k not in os.environ}
    os.environ.update(applied)
    return applied
