"""The test tiers: what ``pytest -m`` selects, and ``make run`` going on past
a failing notebook. Both run pytest or make in a subprocess."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
MAKEFILE = (REPO / "Makefile").read_text()
UNIT = re.search(r"^UNIT_MARKERS := (.+)$", MAKEFILE, re.M).group(1)


class Marks(dict):
    """Names in a ``-m`` expression: true where the item carries that marker."""

    def __missing__(self, name):
        return False


DUMP = """
import json, os, pytest
@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    with open(os.environ["AUTOREC_MARKS_OUT"], "w") as f:
        json.dump({i.nodeid: sorted({m.name for m in i.iter_markers()}) for i in items}, f)
"""


@pytest.fixture(scope="module")
def marks(tmp_path_factory):
    """Every item ``pytest`` collects from the repository, with its markers."""
    tmp = tmp_path_factory.mktemp("marks")
    (tmp / "autorec_dump_marks.py").write_text(DUMP)
    env = {**os.environ, "AUTOREC_SKIP_DATA_CHECK": "1", "AUTOREC_MARKS_OUT": str(tmp / "m.json"),
           "PYTHONPATH": os.pathsep.join([str(tmp), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                          "-p", "no:cacheprovider", "-p", "autorec_dump_marks"],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads((tmp / "m.json").read_text())


def select(marks, expr):
    """The node ids ``pytest -m expr`` selects (and/or/not over marker names)."""
    return {node for node, names in marks.items()
            if eval(expr, {"__builtins__": {}}, Marks.fromkeys(names, True))}


@pytest.mark.slow
def test_markers_select_what_they_claim(marks):
    everything = set(marks)
    notebooks = {n for n in everything if n.startswith("notebooks/")}
    real_data = {n for n in everything if n.startswith("tests/test_real_data.py")}
    assert notebooks and real_data
    assert select(marks, "notebooks") == notebooks
    assert notebooks | real_data <= select(marks, "data") < everything
    assert not select(marks, "not data") & (notebooks | real_data)
    slow = select(marks, "slow")
    assert slow and not slow & notebooks
    grading = select(marks, "grading")  # make grade-check, left out of make test
    assert grading and grading == {n for n in everything
                                   if n.startswith("tests/test_grading.py")}
    unit = select(marks, UNIT)  # make unit: package and data tests, no notebook, nothing slow
    assert real_data <= unit and not unit & (notebooks | slow | grading)
    assert unit | notebooks | slow | grading == everything


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_run_goes_on_past_a_failing_notebook_and_names_it(tmp_path):
    """``make run`` with a stand-in for Python that fails on one notebook."""
    log = tmp_path / "log"
    fake = tmp_path / "python"
    fake.write_text(f'#!/bin/sh\necho "$*" >> {log}\ncase "$*" in *bad*) exit 1;; esac\n')
    fake.chmod(0o755)
    stamp = tmp_path / "stamp"
    stamp.touch()
    books = " ".join(f"nb/{n}.ipynb" for n in ("01_a", "02_bad", "03_c"))
    out = subprocess.run(["make", "--no-print-directory", "run", f"PY={fake}",
                          f"STAMP={stamp}", f"NOTEBOOKS={books}"],
                         cwd=REPO, capture_output=True, text=True, timeout=60)
    calls = log.read_text().splitlines()
    assert out.returncode != 0
    assert [c.split()[-1] for c in calls[:3]] == books.split()  # all three, in order
    assert all("--ExecutePreprocessor.timeout=-1" in c for c in calls[:3])
    assert calls[3] == "-m autorec_common"  # the README table, from what did run
    assert out.stdout.strip().endswith("make run: failed: nb/02_bad.ipynb")
