"""The NumPy names that MXNet 1.9.1 uses and NumPy 1.24 or 2.0 removed.

MXNet 1.9.1 (its last release) refers to these names when it is imported. Its
Python frontend reaches ``libmxnet`` through ctypes, not through NumPy's C API,
so once the names exist again it runs on NumPy 2 as on NumPy 1.23.
:func:`restore` puts back each name that the installed NumPy lacks, without a
warning, and changes nothing that NumPy still defines.
"""

from __future__ import annotations

import math

import numpy


def _removed(name: str, replacement: str):
    def stub(*args, **kwargs):
        raise NotImplementedError(
            f"numpy.{name} was removed from NumPy; autorec_common defines it only so that "
            f"MXNet 1.9.1 can be imported. Use {replacement} instead.")
    stub.__name__ = name
    return stub


def _msort(a):
    """``numpy.msort(a)``: ``numpy.sort(a, axis=0)``."""
    return numpy.sort(a, axis=0)


def _in1d(ar1, ar2, assume_unique=False, invert=False):
    """``numpy.in1d``: ``numpy.isin`` on the flattened first array."""
    return numpy.isin(numpy.ravel(ar1), ar2, assume_unique=assume_unique, invert=invert)


def _trapz(y, x=None, dx=1.0, axis=-1):
    """``numpy.trapz``: ``numpy.trapezoid`` (its name since NumPy 2.0)."""
    return numpy.trapezoid(y, x=x, dx=dx, axis=axis)


# Every name restored, with the value it had before NumPy removed it.
REMOVED_NAMES = {
    # scalar type aliases (removed in NumPy 1.24)
    "bool": bool, "int": int, "float": float, "complex": complex, "object": object, "str": str,
    # constants (removed in NumPy 2.0)
    "PZERO": 0.0, "NZERO": -0.0, "PINF": math.inf, "NINF": -math.inf,
    "NaN": math.nan, "NAN": math.nan, "Inf": math.inf,
    # functions (removed in NumPy 2.0, and in1d and trapz in NumPy 2.4)
    "alltrue": numpy.all, "sometrue": numpy.any, "product": numpy.prod,
    "cumproduct": numpy.cumprod, "round_": numpy.round, "msort": _msort,
    "in1d": _in1d, "trapz": _trapz,
    # the financial functions moved to numpy-financial in NumPy 1.20; MXNet only names them
    **{name: _removed(name, f"numpy_financial.{name}")
       for name in ("mirr", "npv", "pmt", "ppmt", "pv", "rate")},
}


def restore() -> list[str]:
    """Define each of :data:`REMOVED_NAMES` that NumPy lacks; return the names set."""
    defined = vars(numpy)  # not hasattr(): that would warn through numpy.__getattr__
    added = [name for name in REMOVED_NAMES if name not in defined]
    for name in added:
        setattr(numpy, name, REMOVED_NAMES[name])
    return added
