"""The graded checks, end to end with otter-grader (make grade-check): for every
notebook with graded exercises, the instructor solution gets full marks, the
untouched student stub gets none, and each test file's WRONG answer fails."""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import runpy
from pathlib import Path

import pytest

pytestmark = [pytest.mark.grading, pytest.mark.data]

REPO = Path(__file__).resolve().parent.parent


def _tool(name):
    spec = importlib.util.spec_from_file_location(f"_{name}", REPO / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ed, grade = _tool("editions"), _tool("grade")
from autorec_common.exercises import question_files  # noqa: E402

GRADED = sorted({f.name[1:3] for f in question_files()})


def wrong_notebook(student: dict, wrong: dict) -> dict:
    """The student edition with its stubs' ``name = ...`` lines set to the
    wrong answers."""
    for cell in student["cells"]:
        if "solution" in ed.tags(cell) and cell["cell_type"] == "code":
            cell["source"] = re.sub(
                r"^(\w+) = \.\.\.",
                lambda m: f"{m.group(1)} = {wrong[m.group(1)]!r}" if m.group(1) in wrong
                else m.group(0), ed.source(cell), flags=re.M)
    return student


@pytest.mark.parametrize("nn", GRADED)
def test_solution_full_marks_stub_none_wrong_fails(nn, tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOREC_RESULTS", str(tmp_path / "results"))
    path = next((REPO / "notebooks").glob(f"{nn}_*.ipynb"))
    instructor = json.loads(path.read_text(encoding="utf-8"))
    wrong = {}
    for f in question_files(nn):
        wrong.update(runpy.run_path(str(f))["WRONG"])
    student = ed.student_notebook(instructor, path.stem)
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / f"{nn}_a_solution.ipynb").write_text(json.dumps(instructor))
    (subs / f"{nn}_b_stub.ipynb").write_text(json.dumps(student))
    (subs / f"{nn}_c_wrong.ipynb").write_text(json.dumps(wrong_notebook(
        ed.student_notebook(instructor, path.stem), wrong)))
    with grade.grade_folder(subs).open(encoding="utf-8") as f:
        rows = {r["submission"]: r for r in csv.DictReader(f)}
    questions = [f.stem for f in question_files(nn)]
    sol, stub, bad = (rows[f"{nn}_{kind}.ipynb"]
                      for kind in ("a_solution", "b_stub", "c_wrong"))
    assert float(sol["possible"]) > 0 and sol["total"] == sol["possible"]
    assert float(stub["total"]) == 0
    for q in questions:  # every question: the wrong answer loses its points
        assert float(bad[q]) == 0, f"{q}: the wrong answer scored {bad[q]}"
