"""The graded checks (make grade-check), in two parts.

- Every test file: an unanswered stub (``...``) scores nothing, the file's
  WRONG answer fails, and the student edition's stub defines every name the
  check reads. The instructor's solutions must pass their checks too: ``make
  test`` runs every notebook with ``AUTOREC_GRADE_STRICT=1``, under which a
  failing ``grader.check`` raises; here the saved outputs are read.
- End to end with otter-grader, as ``make grade`` runs a teacher's batch: the
  notebooks whose saved run is short (a grader executes each submission top
  to bottom) are graded three times (solution: full marks; untouched student
  edition: none; wrong answers: each question fails).
"""

from __future__ import annotations

import csv
import importlib.util
import inspect
import json
import re
import runpy
from pathlib import Path

import pytest

pytestmark = [pytest.mark.grading, pytest.mark.data]

REPO = Path(__file__).resolve().parent.parent
# A notebook graded end to end runs three times; longer ones are checked
# through their test files alone.
END_TO_END_SECONDS = 180


def _tool(name):
    spec = importlib.util.spec_from_file_location(f"_{name}", REPO / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ed, grade = _tool("editions"), _tool("grade")
from autorec_common.exercises import question_files  # noqa: E402

GRADED = sorted({f.name[1:3] for f in question_files()})
QUESTIONS = [f.stem for f in question_files()]


def _notebook(nn: str) -> Path:
    return next((REPO / "notebooks").glob(f"{nn}_*.ipynb"))


def _run_test_file(path: Path, env: dict):
    """Run one otter test file against the variables in ``env``."""
    from otter.nbmeta_config import NBMetadataConfig
    from otter.test_files import create_test_file

    test = create_test_file(str(path), NBMetadataConfig())
    test.run(env)
    return test


def _reads(path: Path) -> list:
    """The notebook variables a test file's test cases read (their arguments)."""
    from otter.test_files.exception_test import test_case

    names = []
    for case in runpy.run_path(str(path)).values():
        if isinstance(case, test_case):
            params = inspect.signature(case.test_func).parameters
            names += [n for n in params if n not in names and n != "env"]
    return names


@pytest.mark.parametrize("question", QUESTIONS)
def test_a_stub_scores_nothing_and_the_wrong_answer_fails(question, tmp_path,
                                                          monkeypatch):
    monkeypatch.setenv("AUTOREC_RESULTS", str(tmp_path / "results"))
    path = next(f for f in question_files() if f.stem == question)
    names = _reads(path)
    assert names, f"{question} reads no notebook variable"
    stub = _run_test_file(path, {n: ... for n in names})
    assert stub.score == 0, f"{question}: an unanswered stub scored {stub.score}"
    wrong = runpy.run_path(str(path))["WRONG"]
    assert set(wrong) <= set(names), (question, sorted(wrong), names)
    bad = _run_test_file(path, {**{n: ... for n in names}, **wrong})
    assert not bad.passed_all, f"{question}: the wrong answer {wrong} passed"


@pytest.mark.parametrize("nn", GRADED)
def test_the_student_stubs_name_what_the_checks_read(nn):
    path = _notebook(nn)
    student = ed.student_notebook(ed.load(path), path.stem)
    stubs = "\n".join(ed.source(c) for c in student["cells"]
                      if "solution" in ed.tags(c) and c["cell_type"] == "code")
    for f in question_files(nn):
        for name in _reads(f):
            assert re.search(rf"^{name} = \.\.\.", stubs, re.M), (
                f"{f.stem} reads `{name}`, but no stub in {path.name}'s student "
                f"edition says `{name} = ...`: give its solution cell an "
                "autorec.stub (see book/teachers.md)")


@pytest.mark.parametrize("nn", GRADED)
def test_the_saved_solutions_pass_their_checks(nn):
    nb = ed.load(_notebook(nn))
    checked = {}
    for cell in nb["cells"]:
        if "grade" not in ed.tags(cell):
            continue
        for q in re.findall(r"grader\.check\(\s*[\"'](\w+)[\"']", ed.source(cell)):
            text = "".join("".join(o.get("data", {}).get("text/plain", ""))
                           + "".join(o.get("text", "")) for o in cell.get("outputs", []))
            checked[q] = text
    for f in question_files(nn):
        assert f.stem in checked, f"{f.stem} has no grader.check cell in its notebook"
        assert "All test cases passed" in checked[f.stem], (f.stem, checked[f.stem][:300])


CHEAP = [nn for nn in GRADED
         if (ed.notebook_seconds(ed.load(_notebook(nn))) or 1e9) < END_TO_END_SECONDS]


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


@pytest.mark.parametrize("nn", CHEAP)
def test_solution_full_marks_stub_none_wrong_fails(nn, tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOREC_RESULTS", str(tmp_path / "results"))
    path = _notebook(nn)
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
