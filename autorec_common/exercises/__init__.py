"""Graded checks of the notebooks' exercises, run by otter-grader.

Each checkable exercise K of notebook NN has a test file ``qNN_K.py`` in this
folder (otter's exception-based format), shipped with the package so that a
notebook finds it in Jupyter and in Colab alike. In a notebook::

    grader = ac.exercises.grader()
    grader.check("q01_4")

A test file also holds ``WRONG``: values of the notebook's variables that are a
wrong answer; the grading tier (tests/test_grading.py) checks that they fail.
"""

from __future__ import annotations

import inspect
import math
import os
from pathlib import Path

__all__ = ["MissingGrader", "expect_close", "grader", "question_files", "recorded", "tests_dir",
           "tolerance"]

OTTER_PIN = "otter-grader==7.0.0"


def tests_dir() -> Path:
    """The folder holding the test files (this package's folder)."""
    return Path(__file__).resolve().parent


def question_files(notebook: str | None = None) -> list:
    """The test files, all or those of one notebook (``"01"`` or its stem)."""
    files = sorted(tests_dir().glob("q[0-9][0-9]_*.py"))
    if notebook is not None:
        files = [f for f in files if f.name[1:3] == notebook[:2]]
    return files


class MissingGrader:
    """Stands in for otter's grader where otter-grader is not installed: each
    check says how to install it instead of stopping the notebook."""

    def check(self, question: str) -> str:
        message = (f"{question}: not checked, otter-grader is not installed; run "
                   f"`pip install {OTTER_PIN}` (the student edition's Colab setup "
                   "cell installs it), restart, and run the notebook again.")
        print(message)
        return message


def grader():
    """An ``otter.Notebook`` reading this package's test files; without
    otter-grader, a :class:`MissingGrader` that says how to install it."""
    try:
        import otter
    except ImportError:
        return MissingGrader()
    return _strict_notebook(otter)(tests_dir=str(tests_dir()))


STRICT_ENV = "AUTOREC_GRADE_STRICT"


def _strict_notebook(otter):
    """``otter.Notebook`` whose ``check`` raises when a check fails and
    ``AUTOREC_GRADE_STRICT`` is set (``make test`` sets it, so the instructor
    edition's solutions must pass their own checks); otherwise otter's own."""

    class Notebook(otter.Notebook):
        def check(self, question, global_env=None):
            if global_env is None:  # the notebook's globals, as otter reads them
                global_env = inspect.currentframe().f_back.f_globals
            result = super().check(question, global_env)
            if os.environ.get(STRICT_ENV) and not result.passed_all:
                raise AssertionError(f"{question} fails on the instructor's "
                                     f"solution:\n{result.summary()}")
            return result

    return Notebook


def expect_close(name: str, value, expected: float, tol: float, hint: str = "") -> None:
    """Fail with a message for the student unless ``value`` is a number within
    ``tol`` of ``expected`` (the message says too high or too low, not the answer)."""
    if value is ... or value is None:
        raise AssertionError(f"`{name}` is not answered yet: replace the `...` with "
                             "your computation and run the cell again.")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise AssertionError(f"`{name}` should be a number; it is a "
                             f"{type(value).__name__}.") from None
    if not math.isfinite(x):
        raise AssertionError(f"`{name}` is {x}, not a finite number.")
    if abs(x - expected) > tol:
        side = "too high" if x > expected else "too low"
        raise AssertionError(f"`{name}` = {x:.6g} is {side} (the check allows "
                             f"±{tol:.2g}). {hint}".strip())


def recorded(notebook: str, key: str, folder=None) -> dict:
    """The result ``key`` recorded by ``notebook`` (value, std, n, label), as
    :func:`autorec_common.protocol.recorded` finds it."""
    from ..protocol import recorded as _recorded

    return _recorded(notebook, key, folder)


def tolerance(notebook: str, key: str, k: float = 3.0, folder=None) -> float:
    """``k`` times the recorded seed standard deviation of a result: the
    tolerance of a check on a trained model's number."""
    entry = recorded(notebook, key, folder)
    if not entry.get("std"):
        raise ValueError(f"{notebook}/{key} has no recorded seed spread (std); "
                         "a tolerance needs a multi-seed result.")
    return k * float(entry["std"])
