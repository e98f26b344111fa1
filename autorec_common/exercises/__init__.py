"""Graded checks of the notebooks' exercises, run by otter-grader.

Each checkable exercise K of notebook NN has a test file ``qNN_K.py`` in this
folder (otter's exception-based format), shipped with the package so that a
notebook finds it in Jupyter and in Colab alike. In a notebook::

    grader = ac.exercises.grader()
    grader.check("q01_4")

A test file also holds ``WRONG``: values of the notebook's variables that are a
wrong answer; the grading tier (tests/test_grading.py) checks that they fail.

A check that compares with a trained model's number reads it from the answer
key, ``answers.json`` beside the test files: the recorded results the test
files name, copied from the committed ``results/`` by
``python tools/editions.py answers`` (a test keeps the two equal). It ships
with the package, so the checks work in Colab, and a student's own recorded
runs never grade themselves.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import re
from pathlib import Path

__all__ = ["MissingGrader", "answer_key", "answers_path", "expect_close", "grader",
           "question_files", "recorded", "tests_dir", "tolerance"]

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


def answers_path() -> Path:
    """The answer key shipped with the package (``answers.json``)."""
    return tests_dir() / "answers.json"


_READS = re.compile(r'(?:recorded|tolerance)\(\s*"(\d\d_\w+)",\s*"(\w+)"')


def answer_key(results_folder, missing: list | None = None) -> dict:
    """``{notebook: {key: entry}}`` for every recorded result a test file reads,
    taken from ``results_folder`` (the committed ``results/``). A result the
    folder lacks raises LookupError, or, given a list ``missing``, is appended
    to it as ``"notebook/key"``."""
    from ..protocol import recorded as _recorded

    key: dict = {}
    for f in question_files():
        for notebook, name in _READS.findall(f.read_text(encoding="utf-8")):
            try:
                entry = _recorded(notebook, name, results_folder)
            except LookupError:
                if missing is None:
                    raise
                missing.append(f"{notebook}/{name}")
                continue
            key.setdefault(notebook, {})[name] = entry
    return {nb: dict(sorted(entries.items())) for nb, entries in sorted(key.items())}


def recorded(notebook: str, key: str, folder=None) -> dict:
    """The result ``key`` recorded by ``notebook`` (value, std, n, label) as the
    answer key holds it, else as the checkout's committed ``results/`` holds it
    (a result the key does not hold yet); with ``folder``, from that folder."""
    from ..data import in_checkout
    from ..protocol import recorded as _recorded

    if folder is not None:
        return _recorded(notebook, key, folder)
    path = answers_path()
    try:
        return json.loads(path.read_text(encoding="utf-8"))[notebook][key]
    except (OSError, ValueError, KeyError):
        pass
    repo = in_checkout()
    if repo is not None:
        try:
            return _recorded(notebook, key, repo / "results")
        except LookupError:
            pass
    raise LookupError(f"the answer key {path} has no {notebook}/{key}; a maintainer "
                      "runs the notebook, then regenerates the key from results/ with "
                      "`python tools/editions.py answers`")


def tolerance(notebook: str, key: str, k: float = 3.0, folder=None) -> float:
    """``k`` times the recorded seed standard deviation of a result: the
    tolerance of a check on a trained model's number."""
    entry = recorded(notebook, key, folder)
    if not entry.get("std"):
        raise ValueError(f"{notebook}/{key} has no recorded seed spread (std); "
                         "a tolerance needs a multi-seed result.")
    return k * float(entry["std"])
