"""Grade a folder of submitted notebooks with otter-grader: ``make grade SUBMISSIONS=dir``.

Each ``.ipynb`` in the folder is recognised as one of the collection's notebooks
(from the student edition's metadata, else from the leading number of its file
name), executed top to bottom by otter's non-containerised grader (``otter
run``) with that notebook's test files (``autorec_common/exercises/qNN_*.py``),
and scored. Writes ``grades.csv`` in the folder: one row per submission, the
points per question, the total and the possible points. Results the notebooks
record go to a scratch folder, never to ``results/``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"


def notebook_of(path: Path, notebooks: Path = NOTEBOOKS) -> str | None:
    """The stem of the collection's notebook that a submission answers."""
    try:
        meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    stem = meta.get("autorec", {}).get("notebook")
    if stem and (notebooks / f"{stem}.ipynb").exists():
        return stem
    m = re.match(r"(\d\d)", path.name)
    if m:
        found = sorted(notebooks.glob(f"{m.group(1)}_*.ipynb"))
        if len(found) == 1:
            return found[0].stem
    return None


def autograder_zip(stem: str, folder: Path) -> Path | None:
    """otter's autograder configuration for one notebook (its test files and
    an ``otter_config.json``), or None when the notebook has no graded check."""
    from autorec_common.exercises import question_files

    files = question_files(stem)
    if not files:
        return None
    path = folder / f"{stem}-autograder.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("otter_config.json", json.dumps({"lang": "python"}))
        for f in files:
            zf.write(f, f"tests/{f.name}")
    return path


def grade_one(submission: Path, stem: str, scratch: Path) -> dict:
    """Points per question of one submission, with its total and possible points."""
    from otter.api import grade_submission

    ag = autograder_zip(stem, scratch)
    if ag is None:
        return {"total": 0, "possible": 0}
    results = grade_submission(str(submission), str(ag), quiet=True)
    row = {name: results.get_score(name) for name in sorted(results.test_files)}
    row.update(total=results.total, possible=results.possible)
    return row


def grade_folder(folder: Path, notebooks: Path = NOTEBOOKS) -> Path:
    """Grade every ``.ipynb`` in ``folder``; returns the path of ``grades.csv``."""
    subs = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
    if not subs:
        raise SystemExit(f"no .ipynb submissions in {folder}")
    rows, columns = [], []
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        os.environ["AUTOREC_RESULTS"] = str(scratch / "results")
        for sub in subs:
            stem = notebook_of(sub, notebooks)
            print(f"grading {sub.name} ({stem or 'unknown notebook'}) ...", flush=True)
            if stem is None:
                row = {"total": 0, "possible": 0,
                       "error": "not one of the collection's notebooks: name it "
                                "NN_... or keep the student edition's metadata"}
            else:
                row = grade_one(sub.resolve(), stem, scratch)
            row = {"submission": sub.name, "notebook": stem or "", **row}
            rows.append(row)
            columns += [k for k in row if k not in columns]
            print(f"  {row['total']} of {row['possible']} points", flush=True)
    order = (["submission", "notebook"]
             + sorted(c for c in columns if c.startswith("q"))
             + [c for c in ("total", "possible", "error") if c in columns])
    out = folder / "grades.csv"
    with out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=order, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submissions", type=Path, help="folder of submitted .ipynb files")
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        print(f"error: {args.submissions} is not a folder; run "
              "make grade SUBMISSIONS=path/to/folder", file=sys.stderr)
        return 2
    print(f"grades: {grade_folder(args.submissions)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
