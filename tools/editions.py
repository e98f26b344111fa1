"""The instructor and student editions of the notebooks (issue 22).

The notebooks in ``notebooks/`` are the instructor edition. This tool writes
the student edition and keeps the exercises' labels honest::

    python tools/editions.py student [--out build/student]   # make student
    python tools/editions.py labels notebooks/01_*.ipynb      # rewrite run labels
    python tools/editions.py list                             # every exercise

Markup (book/teachers.md, "How the exercises are marked up"): one markdown
cell per exercise, tagged ``exercise``, starting ``**Exercise N** (difficulty,
run T)``; the cells of its solution follow it, tagged ``solution``; cells of a
notebook that is itself an answer (05-08) are tagged ``task``. The student
edition replaces ``solution`` and ``task`` cells by a stub (``metadata.autorec
.stub``, or a default prompt) with no outputs, drops ``check`` cells, rewrites
"a solution: [link]" to "answered in the instructor edition" and makes the
Colab setup cell install the graded checks' extra. Standard library only, so
that book/prepare.py can use it in the book's environment.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import re
import sys
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
DEFAULT_OUT = REPO / "build" / "student"

DIFFICULTIES = ("warm-up", "core", "project")
EXERCISE_RE = re.compile(
    r"^\*\*Exercise (\d+)\*\*\s*\((warm-up|core|project), run ([^)]*)\)\.?\s*")
SOLUTION_LINK_RE = re.compile(
    r"\b([Aa])\s+solution(?:\s+[^:\[\]()]{1,40})?:\s*\[[^\]]*\]\(([^)]*)\)")
REPR_RE = re.compile(r"^<[^<>\n]*>$")
# The Colab badge opens the instructor edition in the project's repository.
COLAB_BADGE_RE = re.compile(r"^.*\(https://colab\.research\.google\.com/[^)]*\).*\n?", re.M)
INSTRUCTOR_ONLY = "nswered in the instructor edition"
PACKAGE_SPEC = "autorec-common @ git+"
STUDENT_PACKAGE_SPEC = "autorec-common[grading] @ git+"


# --- reading a notebook ----------------------------------------------------

def source(cell) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def tags(cell) -> set:
    return set(cell.get("metadata", {}).get("tags", []))


def load(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def save(nb: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def cell_seconds(cell) -> float | None:
    """Seconds a code cell took in the saved run (nbclient's timestamps)."""
    e = cell.get("metadata", {}).get("execution", {})
    start, end = e.get("iopub.execute_input"), e.get("shell.execute_reply")
    if not (start and end):
        return None
    return (_stamp(end) - _stamp(start)).total_seconds()


def exercises(nb) -> list:
    """The exercises of a notebook marked up with ``exercise`` cells: one dict
    each (number, difficulty, run label, text, solution cell indices, graded
    question names)."""
    out, current = [], None
    for i, cell in enumerate(nb["cells"]):
        t = tags(cell)
        if "exercise" in t:
            text = source(cell).strip()
            m = EXERCISE_RE.match(text)
            if not m:
                raise ValueError(
                    f"exercise cell {i} does not start with '**Exercise N** "
                    f"(warm-up|core|project, run ...)': {text[:60]!r}")
            current = {"number": int(m.group(1)), "difficulty": m.group(2),
                       "run": m.group(3).strip(), "text": text[m.end():].strip(),
                       "cell": i, "solutions": [], "graded": [],
                       "answered_in": [Path(t).stem for _, t in
                                       SOLUTION_LINK_RE.findall(text) if t.endswith(".ipynb")]}
            out.append(current)
        elif current is not None and cell["cell_type"] == "markdown" and \
                re.match(r"^#{1,2}\s", source(cell)):
            current = None
        elif current is not None and "solution" in t:
            current["solutions"].append(i)
        elif current is not None and "grade" in t:
            current["graded"] += re.findall(r"grader\.check\(\s*[\"'](\w+)[\"']",
                                            source(cell))
    return out


def solution_seconds(nb, ex: dict) -> float | None:
    """Seconds the exercise's solution code took in the saved run; 0 for a
    written (markdown) solution; None without a solution or without timings."""
    if not ex["solutions"]:
        return None
    total, code = 0.0, False
    for i in ex["solutions"]:
        cell = nb["cells"][i]
        if cell["cell_type"] != "code":
            continue
        code = True
        s = cell_seconds(cell)
        if s is None:
            return None
        total += s
    return total if code else 0.0


def notebook_seconds(nb) -> float | None:
    """Seconds the saved run of a whole notebook took (its code cells' sum)."""
    times = [cell_seconds(c) for c in nb["cells"] if c["cell_type"] == "code"]
    times = [t for t in times if t is not None]
    return sum(times) if times else None


def answered_elsewhere(nb, ex: dict) -> bool:
    """An exercise whose solution is another notebook (a "solution:" link) and
    that has no code solution of its own."""
    own_code = any(nb["cells"][i]["cell_type"] == "code" for i in ex["solutions"])
    return bool(ex["answered_in"]) and not own_code


def expected_run(nb, ex: dict, folder: Path | None = None) -> str:
    """The run label an exercise should carry: its solution cells' saved time,
    or, for an exercise answered by other notebooks, their names ("in 05"):
    the teachers' table adds their saved run time, which changes whenever they
    are re-executed."""
    if answered_elsewhere(nb, ex):
        return "in " + " and ".join(stem[:2] for stem in ex["answered_in"])
    return run_label(solution_seconds(nb, ex))


def elsewhere_run(ex: dict, folder: Path) -> str:
    """The saved run time of the notebooks that answer an exercise."""
    total = 0.0
    for stem in ex["answered_in"]:
        path = Path(folder) / f"{stem}.ipynb"
        seconds = notebook_seconds(load(path)) if path.exists() else None
        if seconds is None:
            return "n/a"
        total += seconds
    return run_label(total)


def run_label(seconds: float | None) -> str:
    """The run part of an exercise's label, from its solution's seconds."""
    if seconds is None:
        return "n/a"
    if seconds < 60:
        return "< 1 min"
    if seconds < 3600:
        return f"~{math.ceil(seconds / 60)} min"
    return f"~{seconds / 3600:.1f} h"


def label_problems(nb, folder: Path | None = None) -> list:
    """Exercises whose typed run label disagrees with the saved timings
    (``folder``: where the notebooks named as solutions are)."""
    problems = []
    for ex in exercises(nb):
        want = expected_run(nb, ex, folder)
        if ex["run"] != want:
            problems.append(f"exercise {ex['number']}: label says 'run {ex['run']}', "
                            f"the saved solution run gives 'run {want}'")
    return problems


def write_labels(path: Path) -> int:
    """Rewrite the run labels of a notebook's exercises from its saved timings;
    returns the number of labels changed."""
    nb = load(path)
    changed = 0
    for ex in exercises(nb):
        cell = nb["cells"][ex["cell"]]
        want = expected_run(nb, ex, Path(path).parent)
        text = source(cell)
        new = re.sub(r"^(\*\*Exercise \d+\*\*\s*\((?:warm-up|core|project)), run [^)]*\)",
                     lambda m: f"{m.group(1)}, run {want})", text, count=1)
        if new != text:
            cell["source"] = new
            changed += 1
    if changed:
        save(nb, path)
    return changed


# --- the student edition -----------------------------------------------------

def exercise_of(nb) -> dict:
    """cell index -> the number of the exercise it belongs to."""
    owner = {}
    for ex in exercises(nb):
        for i in ex["solutions"]:
            owner[i] = ex["number"]
    return owner


def stub(cell, number: int | None) -> str:
    """The student's starting text for a solution or task cell."""
    given = cell.get("metadata", {}).get("autorec", {}).get("stub")
    if given:
        return given if isinstance(given, str) else "".join(given)
    what = f"exercise {number}" if number else "this task"
    if cell["cell_type"] == "markdown":
        return f"**Your answer ({what}).** Write it here."
    return f"# Your code for {what} here."


def hide_solution_links(text: str) -> str:
    return SOLUTION_LINK_RE.sub(lambda m: f"{m.group(1)}{INSTRUCTOR_ONLY}", text)


def student_notebook(nb, stem: str) -> dict:
    """The student edition of one instructor notebook."""
    nb = copy.deepcopy(nb)
    owner = exercise_of(nb)
    cells, stubbed = [], set()
    for i, cell in enumerate(nb["cells"]):
        t = tags(cell)
        if "check" in t:
            continue
        if "solution" in t and i in owner:
            # one stub per exercise and cell type: the first solution cell's
            key = (owner[i], cell["cell_type"])
            if key in stubbed:
                continue
            stubbed.add(key)
        if t & {"solution", "task"}:
            cell["source"] = stub(cell, owner.get(i))
            cell.get("metadata", {}).pop("execution", None)
            if cell["cell_type"] == "code":
                cell["outputs"], cell["execution_count"] = [], None
        elif cell["cell_type"] == "markdown":
            text = COLAB_BADGE_RE.sub("", hide_solution_links(source(cell)))
            cell["source"] = re.sub(r"\n{3,}", "\n\n", text)
        elif "setup" in t:
            cell["source"] = source(cell).replace(PACKAGE_SPEC, STUDENT_PACKAGE_SPEC)
        cells.append(cell)
    nb["cells"] = cells
    nb.setdefault("metadata", {})["autorec"] = {"edition": "student", "notebook": stem}
    return nb


def write_student(out: Path = DEFAULT_OUT, notebooks: Path = NOTEBOOKS) -> list:
    """Write the student edition of every notebook to ``out/notebooks``."""
    written = []
    for path in sorted(notebooks.glob("*.ipynb")):
        target = out / "notebooks" / path.name
        save(student_notebook(load(path), path.stem), target)
        written.append(target)
    if not written:
        raise SystemExit(f"no notebooks in {notebooks}")
    return written


def _texts(cell) -> list:
    out = []
    for o in cell.get("outputs", []):
        if "text" in o:
            out.append(source({"source": o["text"]}))
        for value in o.get("data", {}).values():
            if isinstance(value, (str, list)):
                out.append(source({"source": value}))
    # A bare object repr ("<IPython.core.display.Markdown object>", "<Figure
    # size 640x480 with 1 Axes>") says nothing of an answer.
    return [t for t in out if t.strip() and not REPR_RE.match(t.strip())]


def leaks(instructor: dict, student: dict) -> list:
    """What of the instructor edition's answers the student edition shows: a
    solution or task cell's text or outputs, a solution link."""
    secret_sources, secret_outputs = set(), set()
    for cell in instructor["cells"]:
        if tags(cell) & {"solution", "task"}:
            if source(cell).strip():
                secret_sources.add(source(cell).strip())
            secret_outputs.update(t.strip() for t in _texts(cell))
    problems = []
    for i, cell in enumerate(student["cells"]):
        text = source(cell).strip()
        if text in secret_sources:
            problems.append(f"cell {i}: a solution's text: {text[:60]!r}")
        for t in _texts(cell):
            if t.strip() in secret_outputs:
                problems.append(f"cell {i}: a solution's output: {t.strip()[:60]!r}")
        if cell["cell_type"] == "markdown" and SOLUTION_LINK_RE.search(text):
            problems.append(f"cell {i}: a solution link: "
                            f"{SOLUTION_LINK_RE.search(text).group(0)[:60]!r}")
        if "check" in tags(cell):
            problems.append(f"cell {i}: a check cell")
        if cell["cell_type"] == "markdown" and COLAB_BADGE_RE.search(text):
            problems.append(f"cell {i}: a Colab link to the instructor edition")
    return problems


# --- the command line ----------------------------------------------------------

def unmarked_exercises(nb) -> int:
    """How many exercises a notebook not yet marked up lists (the numbered items
    of its "## Exercises" cell)."""
    for cell in nb["cells"]:
        text = source(cell)
        if cell["cell_type"] == "markdown" and re.search(r"^## Exercises\s*$", text, re.M):
            return len(re.findall(r"^\d+\.\s", text, re.M))
    return 0


def exercise_table(notebooks: Path = NOTEBOOKS) -> str:
    """Every exercise: difficulty, run label, whether it has a solution and its
    graded checks; a notebook not yet marked up shows its exercises unlabelled."""
    rows = ["| notebook | exercise | difficulty | run | solution | graded |",
            "|---|---:|---|---|---|---|"]
    for path in sorted(notebooks.glob("*.ipynb")):
        nb = load(path)
        if not exercises(nb):
            rows += [f"| {path.stem[:2]} | {k} | not labelled yet | | no | - |"
                     for k in range(1, unmarked_exercises(nb) + 1)]
        for ex in exercises(nb):
            run = ex["run"]
            if answered_elsewhere(nb, ex):
                run += f" ({elsewhere_run(ex, notebooks)})"
            rows.append(f"| {path.stem[:2]} | {ex['number']} | {ex['difficulty']} "
                        f"| {run} | {'yes' if ex['solutions'] else 'no'} "
                        f"| {', '.join(ex['graded']) or '-'} |")
    return "\n".join(rows)


def write_answers(results: Path) -> int:
    """Write the answer key the graded checks read (autorec_common/exercises/
    answers.json) from a results folder; 1 with a message if one is missing."""
    sys.path.insert(0, str(REPO))
    from autorec_common import exercises

    missing: list = []
    key = exercises.answer_key(results, missing)
    path = exercises.answers_path()
    path.write_text(json.dumps(key, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{path}: {sum(map(len, key.values()))} recorded results of {len(key)} notebooks")
    if missing:
        print(f"error: {results} lacks {', '.join(sorted(set(missing)))}: run those "
              "notebooks, then this command again", file=sys.stderr)
        return 1
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("student", help="write the student edition")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument("--notebooks", type=Path, default=NOTEBOOKS)
    p = sub.add_parser("labels", help="rewrite exercises' run labels from saved timings")
    p.add_argument("paths", type=Path, nargs="+")
    p = sub.add_parser("list", help="every marked-up exercise, as a table")
    p.add_argument("--notebooks", type=Path, default=NOTEBOOKS)
    p = sub.add_parser("answers", help="write the graded checks' answer key from results/")
    p.add_argument("--results", type=Path, default=REPO / "results")
    args = parser.parse_args(argv)
    if args.command == "student":
        written = write_student(args.out, args.notebooks)
        problems = [f"{p.name}: {x}" for p in written
                    for x in leaks(load(args.notebooks / p.name), load(p))]
        if problems:
            print("\n".join(problems), file=sys.stderr)
            return 1
        print(f"student edition: {len(written)} notebooks in {args.out / 'notebooks'}")
    elif args.command == "labels":
        for path in args.paths:
            print(f"{path}: {write_labels(path)} label(s) rewritten")
    elif args.command == "answers":
        return write_answers(args.results)
    else:
        print(exercise_table(args.notebooks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
