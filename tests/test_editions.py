"""The student edition (tools/editions.py): nothing of an answer leaks, and the
exercises' labels agree with their solutions' saved timings."""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def _editions():
    spec = importlib.util.spec_from_file_location("_editions", REPO / "tools" / "editions.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ed = _editions()


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem[:2])
def test_student_edition_leaks_no_answer(path):
    nb = load(path)
    assert ed.leaks(nb, ed.student_notebook(nb, path.stem)) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem[:2])
def test_exercise_labels_match_the_saved_solution_runs(path):
    assert ed.label_problems(load(path), path.parent) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem[:2])
def test_only_long_solutions_and_their_checks_skip_make_test(path):
    stray = [i for i, c in enumerate(load(path)["cells"]) if "nbval-skip" in ed.tags(c)
             and not ed.tags(c) & {"solution", "check"}]
    assert stray == []


def test_leak_check_notices_each_kind_of_leak():
    nb = load(REPO / "notebooks" / "01_movielens_100k.ipynb")
    student = ed.student_notebook(nb, "01_movielens_100k")
    sol = next(i for i, c in enumerate(nb["cells"]) if "solution" in ed.tags(c)
               and c["cell_type"] == "code" and c["outputs"])
    exercise = next(i for i, c in enumerate(student["cells"]) if "exercise" in ed.tags(c))
    # A solution cell copied into the student edition, its text and its output.
    leaky = copy.deepcopy(student)
    leaky["cells"].append(copy.deepcopy(nb["cells"][sol]))
    kinds = " ".join(ed.leaks(nb, leaky))
    assert "a solution's text" in kinds and "a solution's output" in kinds
    # A solution link left in an exercise.
    linked = copy.deepcopy(student)
    linked["cells"][exercise]["source"] += " (A solution: [08](08_test_masking.ipynb).)"
    assert any("solution link" in p for p in ed.leaks(nb, linked))
    # The Colab badge, which opens the instructor edition.
    badged = copy.deepcopy(student)
    badged["cells"][0]["source"] = nb["cells"][0]["source"]
    assert any("Colab link" in p for p in ed.leaks(nb, badged))
    assert "colab.research.google.com" not in ed.source(student["cells"][0])
    assert ed.source(student["cells"][0]).startswith("# MovieLens 100K")


def test_student_edition_replaces_solutions_by_stubs():
    nb = load(REPO / "notebooks" / "01_movielens_100k.ipynb")
    student = ed.student_notebook(nb, "01_movielens_100k")
    sols = [c for c in student["cells"] if "solution" in ed.tags(c)]
    assert sols and all(not c.get("outputs") for c in sols)
    assert len(sols) == 4  # one stub per exercise: its first solution cell's
    assert any("mean_rmse = ..." in ed.source(c) for c in sols)
    assert not any("check" in ed.tags(c) for c in student["cells"])
    assert student["metadata"]["autorec"] == {"edition": "student",
                                              "notebook": "01_movielens_100k"}
    setup = next(c for c in student["cells"] if "setup" in ed.tags(c))
    assert "autorec-common[grading] @ git+" in ed.source(setup)
    # The exercises and their graded checks stay.
    assert [e["number"] for e in ed.exercises(student)] == [1, 2, 3, 4]
    assert [e["graded"] for e in ed.exercises(student)] == [
        ["q01_1"], ["q01_2"], ["q01_3"], ["q01_4"]]


def test_solution_links_become_instructor_edition_notes():
    text = ("(Book exercise 1; a solution: [05_hidden_size](05_hidden_size.ipynb).) "
            "(A solution: [08_test_masking](08_test_masking.ipynb).) (A\nsolution:\n"
            "[08 · The test-masking\nquestion](08_test_masking.ipynb).) (A solution for "
            "five folds:\n   [11 · A canonical benchmark](11_x.ipynb).)")
    assert ed.hide_solution_links(text) == (
        "(Book exercise 1; answered in the instructor edition.) "
        "(Answered in the instructor edition.) (Answered in the instructor edition.) "
        "(Answered in the instructor edition.)")


def test_task_cells_become_stubs_without_outputs():
    nb = {"metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {"tags": ["task"],
                                           "autorec": {"stub": "# Task: compare"}},
         "source": "d = pr.paired_difference(a, b)", "execution_count": 3,
         "outputs": [{"output_type": "stream", "name": "stdout", "text": "+0.010"}]}]}
    cell = ed.student_notebook(nb, "05_x")["cells"][0]
    assert cell["source"] == "# Task: compare" and cell["outputs"] == []
    assert ed.leaks(nb, ed.student_notebook(nb, "05_x")) == []


def test_an_exercise_answered_by_a_notebook_takes_its_run_time(tmp_path):
    other = {"cells": [{"cell_type": "code", "metadata": {"execution": {
        "iopub.execute_input": "2026-01-01T00:00:00Z",
        "shell.execute_reply": "2026-01-01T00:04:30Z"}}, "source": "", "outputs": []}]}
    (tmp_path / "05_x.ipynb").write_text(json.dumps(other))
    nb = {"cells": [{"cell_type": "markdown", "metadata": {"tags": ["exercise"]},
                     "source": "**Exercise 1** (project, run ?). Vary k. "
                               "(A solution: [05 · X](05_x.ipynb).)"}]}
    ex = ed.exercises(nb)[0]
    assert ex["answered_in"] == ["05_x"]
    assert ed.expected_run(nb, ex, tmp_path) == "in 05"
    nb["cells"][0]["source"] = nb["cells"][0]["source"].replace("run ?", "run in 05")
    (tmp_path / "02_y.ipynb").write_text(json.dumps(nb))
    assert "| 02 | 1 | project | in 05 (~5 min) | no | - |" in ed.exercise_table(tmp_path)


def test_run_labels_from_seconds():
    assert [ed.run_label(s) for s in (None, 0.0, 59, 61, 1800, 5400)] == [
        "n/a", "< 1 min", "< 1 min", "~2 min", "~30 min", "~1.5 h"]


def test_a_label_that_disagrees_with_the_timings_is_reported():
    nb = load(REPO / "notebooks" / "01_movielens_100k.ipynb")
    ex = ed.exercises(nb)[0]
    cell = nb["cells"][ex["cell"]]
    cell["source"] = ed.source(cell).replace(f"run {ex['run']})", "run ~45 min)", 1)
    assert ed.label_problems(nb) == [
        f"exercise 1: label says 'run ~45 min', the saved solution run gives "
        f"'run {ex['run']}'"]


def test_malformed_exercise_label_is_an_error():
    nb = {"cells": [{"cell_type": "markdown", "metadata": {"tags": ["exercise"]},
                     "source": "**Exercise 1** (easy). Do it."}]}
    with pytest.raises(ValueError, match="warm-up\\|core\\|project"):
        ed.exercises(nb)


def test_the_table_lists_unmarked_exercises_unlabelled(tmp_path):
    nb = {"cells": [{"cell_type": "markdown", "metadata": {},
                     "source": "## Exercises\n\n1. One.\n2. Two,\n   continued.\n3. Three."}]}
    (tmp_path / "04_x.ipynb").write_text(json.dumps(nb))
    assert ed.unmarked_exercises(nb) == 3
    rows = ed.exercise_table(tmp_path).splitlines()[2:]
    assert rows == [f"| 04 | {k} | not labelled yet | | no | - |" for k in (1, 2, 3)]


def _prepare():
    spec = importlib.util.spec_from_file_location("_prepare", REPO / "book" / "prepare.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_book_builds_either_edition(tmp_path):
    prepare = _prepare()
    student = prepare.prepare(tmp_path / "s" / "src", edition="student")
    instructor = prepare.prepare(tmp_path / "i" / "src")
    for src in (student, instructor):  # the repository buttons need its URL
        assert "url: \"https://github.com/" in (src / "_config.yml").read_text()
    stem = "01_movielens_100k"
    shown = load(student / "notebooks" / f"{stem}.ipynb")
    assert ed.leaks(load(REPO / "notebooks" / f"{stem}.ipynb"), shown) == []
    book = load(instructor / "notebooks" / f"{stem}.ipynb")
    sols = [c for c in book["cells"] if "solution" in ed.tags(c)]
    assert sols and all("hide-cell" in ed.tags(c) for c in sols if c["cell_type"] == "code")
    folded = [ed.source(c) for c in load(instructor / "notebooks" / "03_autorec_pytorch.ipynb")
              ["cells"] if "solution" in ed.tags(c) and c["cell_type"] == "markdown"]
    assert folded and all(t.startswith("````{dropdown} Show a solution\n") for t in folded)
    assert "| 01 | 4 | warm-up |" in (instructor / "teachers.md").read_text()
