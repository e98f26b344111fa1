"""autorec_common.exercises: the graded checks' messages and tolerances."""

from __future__ import annotations

import json

import pytest

from autorec_common import exercises


@pytest.mark.parametrize("value, message", [
    (..., "not answered yet"),
    (None, "not answered yet"),
    ("1.3", "too high"),  # a numeric string is read as its number
    ([1], "should be a number"),
    (float("nan"), "not a finite number"),
    (1.2, "too high"),
    (1.0, "too low"),
])
def test_expect_close_says_what_is_wrong_without_the_answer(value, message):
    with pytest.raises(AssertionError, match=message) as err:
        exercises.expect_close("x", value, 1.127, 0.01, hint="Use the training mean.")
    assert "1.127" not in str(err.value)


def test_expect_close_accepts_an_answer_within_the_tolerance():
    exercises.expect_close("x", 1.13, 1.127, 0.005)
    exercises.expect_close("x", 50, 50, 0.5)


def test_tolerance_is_three_recorded_seed_sds(tmp_path):
    entry = {"label": "l", "value": 0.9, "std": 0.002, "n": 5, "digits": 3}
    (tmp_path / "05_x.json").write_text(json.dumps({"rmse": entry, "one": {
        **entry, "std": None, "n": 1}}))
    assert exercises.tolerance("05_x", "rmse", folder=tmp_path) == pytest.approx(0.006)
    with pytest.raises(ValueError, match="no recorded seed spread"):
        exercises.tolerance("05_x", "one", folder=tmp_path)


def test_question_files_are_named_by_notebook_and_exercise():
    files = exercises.question_files("01_movielens_100k")
    assert [f.stem for f in files] == ["q01_1", "q01_2", "q01_3", "q01_4"]
    for f in exercises.question_files():
        text = f.read_text(encoding="utf-8")
        assert f'name = "{f.stem}"' in text and "WRONG = {" in text
        assert "OK_FORMAT = False" in text


def test_without_otter_a_check_says_how_to_install_it(monkeypatch, capsys):
    import sys

    monkeypatch.setitem(sys.modules, "otter", None)  # import otter fails
    g = exercises.grader()
    assert isinstance(g, exercises.MissingGrader)
    assert "pip install otter-grader==" in g.check("q01_4")
    assert "q01_4: not checked" in capsys.readouterr().out


def test_the_answer_key_is_the_committed_results():
    from pathlib import Path

    results = Path(__file__).resolve().parents[1] / "results"
    shipped = json.loads(exercises.answers_path().read_text(encoding="utf-8"))
    assert shipped == exercises.answer_key(results), (
        "autorec_common/exercises/answers.json differs from results/: run "
        "`python tools/editions.py answers` after re-executing a notebook")
    assert shipped, "the answer key is empty"


def test_checks_read_the_answer_key_not_the_students_own_records(tmp_path, monkeypatch):
    shipped = json.loads(exercises.answers_path().read_text(encoding="utf-8"))
    notebook, entries = next(iter(shipped.items()))
    key, entry = next(iter(entries.items()))
    # a student's run records another value into the folder it records into
    (tmp_path / f"{notebook}.json").write_text(json.dumps({key: {**entry, "value": 99.0}}))
    monkeypatch.setenv("AUTOREC_RESULTS", str(tmp_path))
    assert exercises.recorded(notebook, key)["value"] == entry["value"]
    assert exercises.recorded(notebook, key, folder=tmp_path)["value"] == 99.0
    with pytest.raises(LookupError, match="tools/editions.py answers"):
        exercises.recorded(notebook, "no_such_key")
