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


# A notebook whose saved run takes longer than this is graded end to end once
# (its solution); its stub and wrong answers go through otter's test files
# directly, with the values the stub and WRONG give the checked variables.
END_TO_END_SECONDS = 120


def stub_values(student: dict) -> dict:
    """The checked variables as the student edition's stubs leave them (...)."""
    names = set()
    for cell in student["cells"]:
        if "solution" in ed.tags(cell) and cell["cell_type"] == "code":
            names.update(re.findall(r"^(\w+) = \.\.\.", ed.source(cell), flags=re.M))
    return {name: ... for name in names}


def otter_scores(env: dict, nn: str) -> dict:
    """Each question's score when its test file runs on ``env`` (otter's API)."""
    from otter.test_files import ExceptionTestFile

    scores = {}
    for f in question_files(nn):
        test = ExceptionTestFile.from_file(str(f))
        test.run(env)
        scores[f.stem] = test.score
    return scores


@pytest.mark.parametrize("nn", GRADED)
def test_solution_full_marks_stub_none_wrong_fails(nn, tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOREC_RESULTS", str(tmp_path / "results"))
    path = next((REPO / "notebooks").glob(f"{nn}_*.ipynb"))
    instructor = json.loads(path.read_text(encoding="utf-8"))
    wrong = {}
    for f in question_files(nn):
        wrong.update(runpy.run_path(str(f))["WRONG"])
    student = ed.student_notebook(instructor, path.stem)
    stubs = stub_values(student)
    questions = [f.stem for f in question_files(nn)]
    # every variable a question reads has a stub line, and a wrong value
    assert set(wrong) <= set(stubs), f"stubs lack {set(wrong) - set(stubs)}"
    whole = (ed.notebook_seconds(instructor) or 0) <= END_TO_END_SECONDS
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / f"{nn}_a_solution.ipynb").write_text(json.dumps(instructor))
    if whole:
        (subs / f"{nn}_b_stub.ipynb").write_text(json.dumps(student))
        (subs / f"{nn}_c_wrong.ipynb").write_text(json.dumps(wrong_notebook(
            ed.student_notebook(instructor, path.stem), wrong)))
    with grade.grade_folder(subs).open(encoding="utf-8") as f:
        rows = {r["submission"]: r for r in csv.DictReader(f)}
    sol = rows[f"{nn}_a_solution.ipynb"]
    assert float(sol["possible"]) > 0 and sol["total"] == sol["possible"]
    if whole:
        stub, bad = rows[f"{nn}_b_stub.ipynb"], rows[f"{nn}_c_wrong.ipynb"]
        stub_scores = {q: float(stub[q]) for q in questions}
        bad_scores = {q: float(bad[q]) for q in questions}
    else:
        stub_scores, bad_scores = otter_scores(stubs, nn), otter_scores(wrong, nn)
    assert stub_scores == dict.fromkeys(questions, 0.0)
    for q in questions:  # every question: the wrong answer loses its points
        assert bad_scores[q] == 0, f"{q}: the wrong answer scored {bad_scores[q]}"
