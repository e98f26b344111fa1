"""The book's build fails where a reader would find something broken.

Run by ``make book-test`` in the book's environment (no browser needed): a
small book made from notebook 01 with a broken link and a missing figure must
fail to build with the flags ``make book`` uses, and ``check_site.py`` must
catch what Sphinx lets through.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

BOOK = Path(__file__).resolve().parent
REPO = BOOK.parent
sys.path.insert(0, str(BOOK))
import check_site  # noqa: E402
import prepare  # noqa: E402

FLAGS = ["--warningiserror", "--nitpick", "--keep-going", "--quiet"]


def test_make_book_uses_these_flags():
    makefile = (REPO / "Makefile").read_text()
    assert " ".join(FLAGS[:3]) in makefile


def test_broken_link_and_missing_figure_fail_the_build(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nb = json.loads((REPO / "notebooks" / "01_movielens_100k.ipynb").read_text())
    nb["cells"].append({"cell_type": "markdown", "metadata": {},
                        "source": "See [a lost notebook](99_missing.ipynb) and "
                                  "![a lost figure](figures/missing.png)."})
    (notebooks / "01_movielens_100k.ipynb").write_text(json.dumps(nb))
    results = tmp_path / "results"
    results.mkdir()
    src = prepare.prepare(tmp_path / "src", notebooks=notebooks, results_dir=results)
    jb = shutil.which("jupyter-book", path=str(Path(sys.executable).parent))
    run = subprocess.run([jb, "build", str(src), "--path-output", str(tmp_path / "out"), *FLAGS],
                         capture_output=True, text=True)
    log = run.stdout + run.stderr
    assert run.returncode != 0
    assert "99_missing.ipynb" in log and "cross-reference target not found" in log
    assert "image file not readable" in log and "missing.png" in log


def test_check_site_catches_missing_targets_and_other_hosts(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "index.html").write_text(
        '<html><body id="top"><a href="a/page.html#here">ok</a> <a href="#top">top</a>'
        '<a href="gone.html">gone</a> <a href="a/page.html#nowhere">no anchor</a>'
        '<img src="missing.png"><script src="https://cdn.example/x.js"></script>'
        '<a href="https://example.org/">external links are fine</a></body></html>')
    (tmp_path / "a" / "page.html").write_text(
        '<html><body><p id="here">  0%|          | 0/25</p></body></html>')
    problems = check_site.check(tmp_path)
    assert "index.html: broken link gone.html" in problems
    assert "index.html: link a/page.html#nowhere: no #nowhere there" in problems
    assert "index.html: missing missing.png" in problems
    assert "index.html: loads https://cdn.example/x.js from another host" in problems
    assert "a/page.html: shows a 0% progress bar" in problems
    assert len(problems) == 5


def test_run_time_needs_every_cell_timed():
    """A notebook saved from JupyterLab without recordTiming loses the times the
    teachers' page reads: its run time is then unknown, never a partial sum."""
    timed = {"iopub.execute_input": "2026-01-01T00:00:00Z",
             "shell.execute_reply": "2026-01-01T00:01:30Z"}
    cell = {"cell_type": "code", "execution_count": 1, "metadata": {"execution": timed}}
    untimed = {"cell_type": "code", "execution_count": 2, "metadata": {}}
    never_run = {"cell_type": "code", "execution_count": None, "metadata": {}}
    assert prepare.run_seconds({"cells": [cell, never_run]}) == 90
    assert prepare.run_seconds({"cells": [cell, untimed]}) is None
    assert prepare._run(prepare.run_seconds({"cells": [untimed]})) == "n/a"


def test_make_lab_keeps_the_cells_timings():
    overrides = json.loads((REPO / "tools" / "jupyterlab-overrides.json").read_text())
    assert overrides["@jupyterlab/notebook-extension:tracker"]["recordTiming"] is True
    # make lab, and make env, so that JupyterLab started from .venv by hand
    # records the times too (a fresh environment: make -n lists every step).
    for target in ("lab", "env"):
        run = subprocess.run(["make", "-n", target, "PYTHON=python3",
                              "VENV=/nonexistent/autorec-venv"], cwd=REPO,
                             capture_output=True, text=True)
        assert "tools/jupyterlab-overrides.json" in run.stdout, target
        assert "/nonexistent/autorec-venv/share/jupyter/lab/settings/overrides.json" \
            in run.stdout, target
