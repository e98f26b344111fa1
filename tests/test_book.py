"""The book's preparation step (book/prepare.py), on synthetic notebooks and on
the committed ones. Standard library only: no Jupyter Book or browser needed
(the built site is checked by ``make book-test``)."""

import importlib.util
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("book_prepare", REPO / "book" / "prepare.py")
prepare = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(prepare)

BADGE = ("[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
         "(https://colab.research.google.com/github/org/repo/blob/main/notebooks/{stem}.ipynb)")


def md(text, **meta):
    return {"cell_type": "markdown", "metadata": meta, "source": text}


def code(text, tags=(), outputs=(), start=None, end=None):
    meta = {"tags": list(tags)} if tags else {}
    if start:
        meta["execution"] = {"iopub.execute_input": start, "shell.execute_reply": end}
    return {"cell_type": "code", "metadata": meta, "source": text, "outputs": list(outputs),
            "execution_count": 1}


def notebook(stem, *cells, title="A title"):
    head = md(f"# {title}\n\n{BADGE.format(stem=stem)}\n\n**The question.** Does it work?")
    return {"cells": [head, *cells], "metadata": {"widgets": {"state": {}}},
            "nbformat": 4, "nbformat_minor": 5}


def test_tags_map_to_jupyter_book_tags():
    nb = notebook("05_x", code("bootstrap()", ["setup"]), code("assert x", ["check"]),
                  code("ac.record()", ["record"]), code("plain()"))
    out = prepare.prepare_notebook(nb, "05_x", "https://github.com/org/repo", "main", {"05_x"})
    tags = [c["metadata"].get("tags", []) for c in out["cells"][1:]]
    assert tags == [["setup", "remove-cell"], ["check", "hide-cell"],
                    ["record", "remove-cell"], []]
    assert out["cells"][2]["metadata"]["mystnb"]["code_prompt_show"] == "Show the check"
    assert "widgets" not in out["metadata"]
    assert nb["cells"][1]["metadata"]["tags"] == ["setup"]  # the input is not touched


def test_widget_outputs_dropped_and_progress_shown_as_a_terminal_does():
    widget = {"output_type": "display_data",
              "data": {prepare.WIDGET_MIME: {"model_id": "x"}, "text/plain": "  0%|          | 0/25"}}
    stream = {"output_type": "stream", "name": "stderr",
              "text": "  0%|   | 0/25\r 50%|#  | 12/25\r100%|###| 25/25\nDone\n"}
    nb = notebook("02_x", code("train()", outputs=[widget, stream]))
    out = prepare.prepare_notebook(nb, "02_x", None, "main", {"02_x"})
    outputs = out["cells"][1]["outputs"]
    assert len(outputs) == 1
    assert outputs[0]["text"] == "100%|###| 25/25\nDone\n"
    assert " 0%|" not in outputs[0]["text"]


def test_generated_prose_shows_without_its_code():
    prose = {"output_type": "display_data", "data": {"text/markdown": "- found it", "text/plain": "<md>"}}
    text = {"output_type": "stream", "name": "stdout", "text": "x\n"}
    nb = notebook("03_x", code("Markdown(f'...')", outputs=[prose]), code("print(x)", outputs=[text]))
    out = prepare.prepare_notebook(nb, "03_x", None, "main", {"03_x"})
    assert out["cells"][1]["metadata"]["tags"] == ["remove-input"]
    assert "tags" not in out["cells"][2]["metadata"]


def test_badge_served_locally_with_a_download_link_and_numbered_title():
    nb = notebook("07_acts")
    head = prepare.prepare_notebook(nb, "07_acts", None, "main", {"07_acts"})["cells"][0]["source"]
    assert head.startswith("# 07 · A title")
    assert prepare.BADGE_IMAGE not in head
    assert "](../_static/colab-badge.svg)](https://colab.research.google.com/github/org/repo/" in head
    assert "{download}`Download the notebook <../_originals/07_acts.ipynb>`" in head


def test_links_outside_the_book_go_to_the_repository():
    text = ("[readme](../README.md), [bench](../bench/results.md#top), "
            "[twin](03_autorec_pytorch.ipynb), [gone](../no_such_file.py), [web](https://x.org)")
    out = prepare.rewrite_links(text, "https://github.com/org/repo", "main", {"03_autorec_pytorch"})
    assert "[readme](https://github.com/org/repo/blob/main/README.md)" in out
    assert "[bench](https://github.com/org/repo/blob/main/bench/results.md#top)" in out
    assert "[twin](03_autorec_pytorch.ipynb)" in out
    assert "[gone](../no_such_file.py)" in out  # left broken, so that the build fails
    assert "[web](https://x.org)" in out


def test_run_and_read_times():
    nb = notebook("05_x",
                  code("a = 1", start="2026-11-22T08:00:00.000000Z", end="2026-11-22T08:00:30.500000Z"),
                  code("b = 2\n\nc = 3", start="2026-11-22T08:00:31Z", end="2026-11-22T08:02:31Z"),
                  code("bootstrap()", ["setup"]) | {"execution_count": None},
                  md(" ".join(["word"] * 400)))
    assert prepare.run_seconds(nb) == pytest.approx(150.5)
    assert prepare.run_seconds(notebook("05_x", code("x"))) is None
    # A cell that ran without times (saved from Lab without recordTiming): unknown.
    assert prepare.run_seconds(notebook("05_x", *nb["cells"][:2], code("x"))) is None
    words = 400 + len(nb["cells"][0]["source"].split())
    lines = 3
    assert prepare.read_minutes(nb) == pytest.approx(
        words / prepare.WORDS_PER_MINUTE + lines / prepare.CODE_LINES_PER_MINUTE)


def test_exercises_solutions_and_prerequisites():
    chapter = notebook(
        "03_chapter",
        md("## What we found\n\n- it works\n\n## Exercises\n\nIntro line.\n\n"
           "1. Vary the hidden size:\n   [05_hidden](05_hidden.ipynb).\n2. Add layers."),
        md("3. A third, in the next cell.\n\n## Related notebooks\n\n- [05_hidden](05_hidden.ipynb)"))
    nbs = {"01_data": notebook("01_data"), "03_chapter": chapter,
           "05_hidden": notebook("05_hidden"), "13_appendix_performance": notebook("13_appendix_performance")}
    assert prepare.exercises(chapter) == [
        "Vary the hidden size: [05_hidden](05_hidden.ipynb).", "Add layers.", "A third, in the next cell."]
    assert prepare.exercises(nbs["05_hidden"]) == []
    assert prepare.solutions(nbs)["05_hidden"] == ["03 exercise 1"]
    stems = list(nbs)
    assert prepare.prerequisites("01_data", stems, nbs["01_data"]) == []
    assert prepare.prerequisites("03_chapter", stems, chapter) == ["01_data"]
    assert prepare.prerequisites("05_hidden", stems, nbs["05_hidden"]) == ["03_chapter"]
    assert prepare.part_of("13_appendix_performance") == "Appendix"
    assert [prepare.label(s) for s in ("08a_protocol", "08_test_masking", "13_appendix")] == \
        ["08a", "08", "13"]
    table = prepare.teachers_table(nbs, names={})
    row = next(line for line in table.splitlines() if line.startswith("| 05 "))
    assert "D2L 16.4 exercise 1" in row and "solution to 03 exercise 1" in row
    assert prepare._prerequisites_md("06_x", ["02_a", "03_b"]) == \
        "[02](notebooks/02_a.ipynb) or [03](notebooks/03_b.ipynb)"
    assert prepare._prerequisites_md("04_x", ["02_a", "03_b"]) == \
        "[02](notebooks/02_a.ipynb), [03](notebooks/03_b.ipynb)"
    text = prepare.teachers_exercises(nbs, names={})
    assert "1. Vary the hidden size: [05_hidden](notebooks/05_hidden.ipynb)." in text


def test_results_table_is_the_readmes():
    readme = (REPO / "README.md").read_text()
    results = prepare.load_results_module()
    body = readme.split(results.START, 1)[1].split(results.END, 1)[0].strip()
    assert results.render_table(results.load(REPO / "results")) == body
    # The site's copy: the same table, its links showing names, not file names.
    names = prepare.link_names()
    site = prepare.results_table(REPO / "results")
    assert site == prepare.titled_links(body, names)
    assert "[05_hidden_size](" in body and "[05_hidden_size](" not in site
    assert f"[{names['05_hidden_size']}](notebooks/05_hidden_size.ipynb)" in site


def test_links_showing_a_file_name_show_the_notebooks_name():
    names = {"07_activations": "07 · Activation pairs", "05_hidden_size": "05 · Hidden size"}
    text = ("see [07_activations](07_activations.ipynb), [`05_hidden_size.ipynb`]"
            "(notebooks/05_hidden_size.ipynb#top), [the pairs](07_activations.ipynb), "
            "![07_activations](07_activations.ipynb) and [99_gone](99_gone.ipynb)")
    assert prepare.titled_links(text, names) == (
        "see [07 · Activation pairs](07_activations.ipynb), [05 · Hidden size]"
        "(notebooks/05_hidden_size.ipynb#top), [the pairs](07_activations.ipynb), "
        "![07_activations](07_activations.ipynb) and [99_gone](99_gone.ipynb)")
    # In prose and in prose a notebook computed (a Markdown output) alike.
    nb = notebook("08_x", md("[07_activations](07_activations.ipynb)"),
                  code("x", outputs=[{"output_type": "display_data", "metadata": {},
                                      "data": {"text/markdown": ["see [07_activations]",
                                                                 "(07_activations.ipynb)"]}}]))
    out = prepare.prepare_notebook(nb, "08_x", None, "main", {"07_activations"}, names)
    assert out["cells"][1]["source"] == "[07 · Activation pairs](07_activations.ipynb)"
    assert out["cells"][2]["outputs"][0]["data"]["text/markdown"] == \
        "see [07 · Activation pairs](07_activations.ipynb)"


def test_prepare_lays_out_every_committed_notebook(tmp_path):
    out = prepare.prepare(tmp_path / "src")
    stems = sorted(p.stem for p in (REPO / "notebooks").glob("*.ipynb"))
    toc = (out / "_toc.yml").read_text()
    for stem in stems:
        assert f"- file: notebooks/{stem}\n" in toc
        assert (out / "_originals" / f"{stem}.ipynb").read_bytes() == \
            (REPO / "notebooks" / f"{stem}.ipynb").read_bytes()
        json.loads((out / "notebooks" / f"{stem}.ipynb").read_text())
    index = (out / "index.md").read_text()
    assert all(f"(notebooks/{stem}.ipynb)" in index for stem in stems)
    assert "{{" not in index and "{{" not in (out / "teachers.md").read_text()
    assert "- file: teachers" in toc


@pytest.mark.parametrize("resolves", [False, True])
def test_make_book_says_loudly_when_the_badges_open_nothing(tmp_path, capsys, monkeypatch,
                                                           resolves):
    """An unpublished REF: a framed warning on the console and a warning on the
    front page, and the build goes on; a published one: neither."""
    message = ("the Colab badges open v9.9.9 (commit 0123456789ab), the version shown here."
               if resolves else "v9.9.9 does not exist in this repository: publish it.")

    class Project:
        @staticmethod
        def ref_status(root):
            return resolves, message

    monkeypatch.setattr(prepare, "load_project_module", lambda: Project)
    out = prepare.prepare(tmp_path / "src")
    err = capsys.readouterr().err
    index = (out / "index.md").read_text()
    assert ("WARNING: the Colab badges and setup cells will not work" in err) != resolves
    assert ("!" * 78 in err) != resolves
    assert ("The Colab badges do not work yet" in index) != resolves
    assert ("v9.9.9 does not exist in this repository" in index) != resolves
    assert ("The Colab badges and setup cells open v9.9.9 (commit 0123456789ab)" in index) \
        == resolves
