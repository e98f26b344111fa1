"""Lay out the book's source folder from the committed notebooks.

``python book/prepare.py`` writes ``book/_build/src``: copies of the notebooks
(their saved outputs, never re-run) with this project's cell tags mapped to
Jupyter Book's, the front page with the notebook index and the results table,
the teachers' page, and the Jupyter Book configuration. ``notebooks/`` is only
read. Standard library only, so it runs in the book's environment and in the
project's (the tests import it).

Tag mapping (HELPERS.md's convention): ``check`` cells are folded
(``hide-cell``), ``setup`` and ``record`` cells are removed (``remove-cell``);
a code cell whose outputs are all Markdown (the generated "What we found")
shows its prose only (``remove-input``).
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import re
import shutil
import sys
from datetime import datetime
from pathlib import Path

BOOK = Path(__file__).resolve().parent
REPO = BOOK.parent

TAG_MAP = {"check": "hide-cell", "setup": "remove-cell", "record": "remove-cell"}

# The parts of the collection, by notebook number.
PARTS = [
    ("Start here", 1, 1),
    ("The chapter", 2, 4),
    ("The exercises", 5, 8),
    ("Beyond the chapter", 9, 12),
    ("Appendix", 13, 99),
]

# Which notebook answers which exercise of D2L section 16.4 (and the blog's question).
D2L_EXERCISES = {
    5: "D2L 16.4 exercise 1 (hidden size)",
    6: "D2L 16.4 exercise 2 (depth)",
    7: "D2L 16.4 exercise 3 (activations)",
    8: "the blog's test-masking question",
}

# Reading speed behind the "read" column: prose, and code read line by line.
WORDS_PER_MINUTE = 200
CODE_LINES_PER_MINUTE = 10

BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
COLAB_RE = re.compile(
    r"https://colab\.research\.google\.com/github/([^/\s)]+)/([^/\s)]+)/blob/([^/\s)]+)/")
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
LINK_RE = re.compile(r"(!?\[[^\]]*\])\(([^)\s]+)\)")


def load_editions_module():
    """tools/editions.py, loaded by path: the exercises' markup and the
    student edition (standard library only)."""
    path = REPO / "tools" / "editions.py"
    spec = importlib.util.spec_from_file_location("_autorec_editions", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_results_module():
    """autorec_common/results.py, loaded by path: the package's own renderer,
    without importing the package (whose top level needs NumPy and pandas)."""
    path = REPO / "autorec_common" / "results.py"
    spec = importlib.util.spec_from_file_location("_autorec_results", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_notebook_cells_module():
    """tools/notebook_cells.py, loaded by path: the names links to a notebook
    read as ("05 · Hidden size"; standard library only)."""
    path = REPO / "tools" / "notebook_cells.py"
    spec = importlib.util.spec_from_file_location("_autorec_notebook_cells", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# A link whose text is the file name of the notebook it opens: "[05_hidden_size](05_hidden_size.ipynb)",
# in the README's results table and in prose a notebook computes.
FILE_NAME_LINK = re.compile(
    r"(?<!!)\[`?(\d\d[a-z]?_\w+?)(?:\.ipynb)?`?\]"
    r"\(((?:notebooks/)?(\d\d[a-z]?_[^/)#\s]*)\.ipynb(?:#[^)\s]*)?)\)")


def link_names(notebooks: Path | None = None) -> dict:
    """stem -> the text a link to that notebook shows ("05 · Hidden size")."""
    return load_notebook_cells_module().link_names(REPO / "README.md", notebooks)


def titled_links(text: str, names: dict) -> str:
    """``text`` with each link that shows a notebook's file name showing its
    name instead, as the notebooks' own links do (tools/notebook_cells.py)."""
    def fix(m):
        shown, target, stem = m.groups()
        return f"[{names[stem]}]({target})" if shown == stem and stem in names else m.group(0)

    return FILE_NAME_LINK.sub(fix, text)


def load_project_module():
    """autorec_common/project.py, loaded by path (the repository and its REF)."""
    spec = importlib.util.spec_from_file_location("_autorec_project", REPO / "autorec_common" / "project.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def publishing_note(ok: bool, message: str) -> str:
    """The front page's word on the Colab badges, from ``project.ref_status``: a
    sentence when they open what this checkout holds, a warning when not."""
    if ok:
        return f"The Colab badges and setup cells open {message.split('open ', 1)[1]}"
    return "\n".join([
        ":::{admonition} The Colab badges do not work yet",
        ":class: warning",
        "",
        message,
        "Until then, download a notebook from its page and run it locally; the",
        "repository's README (\"Publishing\") says what a maintainer must publish.",
        ":::",
    ])


def warn_loudly(message: str) -> None:
    """``message`` framed on stderr, where ``make book`` shows it."""
    bar = "!" * 78
    print(f"{bar}\nWARNING: the Colab badges and setup cells will not work:\n{message}\n"
          f"(the site is built anyway; see the README's \"Publishing\")\n{bar}",
          file=sys.stderr)


def results_table(results_dir: Path | None = None, names: dict | None = None) -> str:
    """The README's results table, from the same renderer and the same files;
    its links show the notebooks' names, not their file names."""
    results = load_results_module()
    table = results.render_table(results.load(results_dir or REPO / "results"))
    return titled_links(table, link_names() if names is None else names)


# --- reading a notebook ----------------------------------------------------

def source(cell) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def number(stem: str) -> int:
    m = re.match(r"(\d+)", stem)
    return int(m.group(1)) if m else 0


def label(stem: str) -> str:
    """The notebook's number as its file name writes it: "05", "08a"."""
    m = re.match(r"\d+[a-z]?(?![a-z])", stem)
    return m.group(0) if m else stem


def part_of(stem: str) -> str:
    n = number(stem)
    for name, lo, hi in PARTS:
        if lo <= n <= hi:
            return name
    return PARTS[-1][0]


def title(nb) -> str:
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            m = re.search(r"^#\s+(.+)$", source(cell), re.M)
            if m:
                return m.group(1).strip()
    return ""


def _plain(md: str) -> str:
    """Markdown to one line of plain text (links keep their text)."""
    md = LINK_RE.sub(lambda m: m.group(1).lstrip("!")[1:-1], md)
    md = re.sub(r"[*_`]", "", md)
    return re.sub(r"\s+", " ", md).strip()


def question(nb) -> str:
    """The notebook's question: its bold "The question." sentence, or the first
    sentence of the first paragraph after the title and badge."""
    text = "\n\n".join(source(c) for c in nb["cells"][:4] if c["cell_type"] == "markdown")
    m = re.search(r"\*\*The question\.?\*\*\s*(.+?\?)", text, re.S)
    if m:
        return _plain(m.group(1))
    for para in re.split(r"\n\s*\n", source(nb["cells"][0])):
        para = para.strip()
        if para and not para.startswith("#") and "colab-badge" not in para:
            first = re.split(r"(?<=[.?!])\s", _plain(para), maxsplit=1)[0]
            return first
    return ""


def read_minutes(nb) -> float:
    """Minutes to read the cells a student sees (removed cells do not count)."""
    words = lines = 0
    for cell in nb["cells"]:
        if set(cell.get("metadata", {}).get("tags", [])) & {"setup", "record"}:
            continue
        text = source(cell)
        if cell["cell_type"] == "markdown":
            words += len(re.findall(r"\S+", text))
        elif cell["cell_type"] == "code":
            lines += sum(1 for line in text.splitlines() if line.strip())
    return words / WORDS_PER_MINUTE + lines / CODE_LINES_PER_MINUTE


def _stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def run_seconds(nb) -> float | None:
    """Seconds the saved run took: the sum of the cells' execution times
    (``metadata.execution`` as nbclient, or JupyterLab with ``recordTiming``,
    records it), or None when a cell that ran has none (a partial sum would
    understate the time)."""
    total, seen = 0.0, False
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        e = cell.get("metadata", {}).get("execution", {})
        start = e.get("iopub.execute_input")
        end = e.get("shell.execute_reply")
        if start and end:
            total += (_stamp(end) - _stamp(start)).total_seconds()
            seen = True
        elif cell.get("execution_count") is not None:
            return None
    return total if seen else None


def section(nb, heading: str) -> str:
    """The markdown under the level-2 heading ``heading`` (up to the next heading
    of level 1 or 2), over as many cells as it spans; "" when there is none."""
    out, inside = [], False
    pattern = re.compile(r"^##\s+" + re.escape(heading) + r"\s*$", re.M | re.I)
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            if inside:
                break
            continue
        text = source(cell)
        if not inside:
            m = pattern.search(text)
            if not m:
                continue
            inside, text = True, text[m.end():]
        stop = re.search(r"^#{1,2}\s", text, re.M)
        if stop:
            out.append(text[:stop.start()])
            break
        out.append(text)
    return "\n".join(out).strip()


def list_items(md: str) -> list:
    """The top-level items of the first (numbered or bulleted) list in ``md``."""
    items, current = [], None
    for line in md.splitlines():
        m = re.match(r"^(?:\d+[.)]|[-*])\s+(.*)", line)
        if m:
            if current is not None:
                items.append(current)
            current = m.group(1).strip()
        elif current is not None and line.startswith((" ", "\t")) and line.strip():
            current += " " + line.strip()
        elif current is not None and not line.strip():
            continue
        elif current is not None:
            break
    if current is not None:
        items.append(current)
    return items


def exercises(nb) -> list:
    """The exercises' texts: the cells tagged ``exercise`` (label included),
    or the items of the "Exercises" section's list in an unconverted notebook."""
    tagged = [source(c).strip() for c in nb["cells"]
              if "exercise" in c.get("metadata", {}).get("tags", [])]
    if tagged:
        return [re.sub(r"^\*\*Exercise \d+\*\*\s*", "", t).replace("\n", " ")
                for t in tagged]
    return list_items(section(nb, "Exercises"))


def notebook_links(md: str) -> list:
    """Stems of the notebooks that ``md`` links to, in order, once each."""
    stems = []
    for m in re.finditer(r"\]\((?:\.\./notebooks/|notebooks/)?(\d\d[^/)#\s]*)\.ipynb", md):
        if m.group(1) not in stems:
            stems.append(m.group(1))
    return stems


def intro_links(nb) -> list:
    """Notebooks linked from the opening cells (before the first ``##`` section)."""
    text = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        s = source(cell)
        m = re.search(r"^##\s", s, re.M)
        if m:
            text.append(s[:m.start()])
            break
        text.append(s)
    return notebook_links("\n".join(text))


def prerequisites(stem: str, stems: list, nb) -> list:
    """What to read first: the part before (01 before the chapter, 02 or 03
    before the exercises and beyond, 04 before the appendix), and any earlier
    notebook the opening cells link to."""
    n = number(stem)
    by_number = {number(s): s for s in stems}
    chapter = [s for s in stems if number(s) in (2, 3)]
    if n == 1:
        base = []
    elif n in (2, 3):
        base = [by_number[1]] if 1 in by_number else []
    elif n == 4:
        base = chapter
    elif n < 13:
        base = chapter
    else:
        base = [by_number[4]] if 4 in by_number else chapter
    twins = {2, 3}
    extra = [s for s in intro_links(nb) if s in stems and number(s) < n and s not in base
             and not (n in twins and number(s) in twins)]
    return base + extra


# --- the notebook copies -----------------------------------------------------

def _carriage_returns(text: str) -> str:
    """What a terminal shows: each line keeps the text after its last ``\\r``."""
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))


def prepare_notebook(nb, stem: str, repo_url: str | None, ref: str, stems: set,
                     names: dict | None = None) -> dict:
    """A copy of ``nb`` for the book: tags mapped, widget-only outputs dropped,
    progress text as a terminal shows it, the Colab badge served locally with a
    download link beside it, links to repository files outside the book sent to
    the repository, links that show a notebook's file name showing its name
    (``names``, from :func:`link_names`)."""
    names = names or {}
    nb = copy.deepcopy(nb)
    nb.get("metadata", {}).pop("widgets", None)
    for i, cell in enumerate(nb["cells"]):
        tags = list(cell.get("metadata", {}).get("tags", []))
        for tag, jb_tag in TAG_MAP.items():
            if tag in tags and jb_tag not in tags:
                tags.append(jb_tag)
        if tags:
            cell.setdefault("metadata", {})["tags"] = tags
        if "check" in tags:
            cell["metadata"].setdefault("mystnb", {}).update(
                code_prompt_show="Show the check", code_prompt_hide="Hide the check")
        if "solution" in tags and cell["cell_type"] == "code":
            cell["metadata"]["tags"] = tags + ["hide-cell"]
            cell["metadata"].setdefault("mystnb", {}).update(
                code_prompt_show="Show a solution", code_prompt_hide="Hide the solution")
        elif "solution" in tags:  # markdown cannot be folded by tag: a dropdown
            cell["source"] = ("````{dropdown} Show a solution\n" + source(cell)
                              + "\n````")
        if cell["cell_type"] == "code" and _prose_only(cell) and "remove-input" not in tags:
            # Prose generated from the computed values ("What we found"): the
            # page shows the prose; the notebook keeps the code that makes it.
            cell.setdefault("metadata", {}).setdefault("tags", []).append("remove-input")
        if cell["cell_type"] == "code":
            outputs = []
            for out in cell.get("outputs", []):
                if WIDGET_MIME in out.get("data", {}):
                    continue
                if out.get("output_type") == "stream":
                    out["text"] = _carriage_returns(source({"source": out["text"]}))
                if "text/markdown" in out.get("data", {}):
                    out["data"]["text/markdown"] = titled_links(
                        source({"source": out["data"]["text/markdown"]}), names)
                outputs.append(out)
            cell["outputs"] = outputs
        elif cell["cell_type"] == "markdown":
            text = rewrite_links(titled_links(source(cell), names), repo_url, ref, stems)
            if i == 0:
                text = launch_line(numbered_title(text, stem), stem)
            cell["source"] = text
    return nb


def _prose_only(cell) -> bool:
    """A code cell whose outputs are all Markdown (IPython.display.Markdown)."""
    outs = cell.get("outputs", [])
    return bool(outs) and all("text/markdown" in o.get("data", {}) for o in outs)


def numbered_title(text: str, stem: str) -> str:
    """The title heading with the notebook's number in front (as in the index)."""
    if not re.match(r"\d", stem):
        return text
    return re.sub(r"^#\s+(?!\d)", f"# {label(stem)} · ", text, count=1, flags=re.M)


def launch_line(text: str, stem: str) -> str:
    """The badge line with the badge image served by the site, and a download
    link to the unchanged notebook after it."""
    if BADGE_IMAGE not in text:
        return text
    lines = text.split("\n")
    for j, line in enumerate(lines):
        if BADGE_IMAGE in line:
            lines[j] = (line.replace(BADGE_IMAGE, "../_static/colab-badge.svg")
                        + f" {{download}}`Download the notebook <../_originals/{stem}.ipynb>`")
            break
    return "\n".join(lines)


def rewrite_links(text: str, repo_url: str | None, ref: str, stems: set) -> str:
    """Relative links from notebooks/ to files of the repository that are not
    pages of the book point at the repository instead. A link whose target does
    not exist is left alone, so that the build fails on it."""
    if not repo_url:
        return text

    def fix(m):
        label, target = m.group(1), m.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith(("#", "/")):
            return m.group(0)
        path, _, anchor = target.partition("#")
        if path.endswith(".ipynb") and Path(path).stem in stems and "/" not in path:
            return m.group(0)
        resolved = (REPO / "notebooks" / path).resolve()
        try:
            rel = resolved.relative_to(REPO)
        except ValueError:
            return m.group(0)
        if not resolved.exists():
            return m.group(0)
        kind = "tree" if resolved.is_dir() else "blob"
        url = f"{repo_url}/{kind}/{ref}/{rel.as_posix()}" + (f"#{anchor}" if anchor else "")
        return f"{label}({url})"

    return LINK_RE.sub(fix, text)


def repository(nbs: dict):
    """(repository URL, ref) from the notebooks' Colab links, or (None, "main")."""
    for nb in nbs.values():
        m = COLAB_RE.search(source(nb["cells"][0])) if nb["cells"] else None
        if m:
            return f"https://github.com/{m.group(1)}/{m.group(2)}", m.group(3)
    return None, "main"


# --- the pages -------------------------------------------------------------

def readme_index(readme: Path = REPO / "README.md") -> dict:
    """stem -> (short name, question) from the README's notebook table; the
    book falls back to each notebook's own title and question without it."""
    rows = {}
    if not readme.exists():
        return rows
    pattern = re.compile(r"^\|\s*\d+\w*\s*\|\s*\[([^\]]+)\]\(notebooks/([^)]+)\.ipynb\)\s*\|\s*(.*?)\s*\|\s*$")
    for line in readme.read_text(encoding="utf-8").splitlines():
        m = pattern.match(line)
        if m:
            rows[m.group(2)] = (m.group(1).strip(), m.group(3).strip())
    return rows


def short_name(stem: str, nb, names: dict) -> str:
    return names[stem][0] if stem in names else title(nb)


def long_question(stem: str, nb, names: dict) -> str:
    return names[stem][1] if stem in names and names[stem][1] else question(nb)


def index_md(nbs: dict, names: dict | None = None) -> str:
    names = readme_index() if names is None else names
    out = []
    for name, _, _ in PARTS:
        stems = [s for s in nbs if part_of(s) == name]
        if not stems:
            continue
        out += [f"### {name}\n", "| | notebook | the question |", "|---|---|---|"]
        for s in stems:
            q = long_question(s, nbs[s], names).replace("|", "\\|")
            out.append(f"| {label(s)} | [{short_name(s, nbs[s], names)}](notebooks/{s}.ipynb) | {q} |")
        out.append("")
    return "\n".join(out)


def _minutes(x: float) -> str:
    return f"{max(5, 5 * round(x / 5)):.0f}"


def _run(sec: float | None) -> str:
    if sec is None:
        return "n/a"
    if sec < 60:
        return "< 1"
    return f"{sec / 60:.0f}"


def solutions(nbs: dict) -> dict:
    """stem -> ["02 exercise 1", ...]: the exercises of other notebooks that link
    to ``stem`` as their solution."""
    found = {s: [] for s in nbs}
    for s, nb in nbs.items():
        for k, item in enumerate(exercises(nb), 1):
            for target in notebook_links(item):
                if target in found and target != s:
                    found[target].append(f"{label(s)} exercise {k}")
    return found


def _prerequisites_md(stem: str, pre: list) -> str:
    """Links to ``pre``; the chapter's twins 02 and 03 read "02 or 03" (either
    will do), except for 04, which compares them."""
    if not pre:
        return "none"
    links = [f"[{label(p)}](notebooks/{p}.ipynb)" for p in pre]
    twins = [i for i, p in enumerate(pre) if number(p) in (2, 3)]
    if len(twins) == 2 and number(stem) != 4:
        either = " or ".join(links[i] for i in twins)
        links = [either] + [x for i, x in enumerate(links) if i not in twins]
    return ", ".join(links)


def teachers_table(nbs: dict, names: dict | None = None) -> str:
    names = readme_index() if names is None else names
    stems = list(nbs)
    sols = solutions(nbs)
    rows = ["| # | notebook | read first | read (min) | run (min) | answers | exercises |",
            "|---|---|---|---:|---:|---|---:|"]
    for s in stems:
        nb = nbs[s]
        pre = _prerequisites_md(s, prerequisites(s, stems, nb))
        answers = []
        if number(s) in D2L_EXERCISES:
            answers.append(D2L_EXERCISES[number(s)])
        if sols[s]:
            answers.append("solution to " + ", ".join(sols[s]))
        rows.append(
            f"| {label(s)} | [{short_name(s, nb, names)}](notebooks/{s}.ipynb) | {pre} "
            f"| {_minutes(read_minutes(nb))} | {_run(run_seconds(nb))} "
            f"| {'; '.join(answers)} | {len(exercises(nb)) or ''} |")
    return "\n".join(rows)


def teachers_exercises(nbs: dict, repo_url: str | None = None, ref: str = "main",
                       names: dict | None = None) -> str:
    names = readme_index() if names is None else names
    out, without = [], []
    for s, nb in nbs.items():
        items = exercises(nb)
        link = f"[{label(s)} {short_name(s, nb, names)}](notebooks/{s}.ipynb)"
        if not items:
            without.append(link)
            continue
        out.append(f"**{link}**\n")
        for k, item in enumerate(items, 1):
            item = rewrite_links(item, repo_url, ref, set(nbs))
            item = re.sub(r"\]\((\d\d[^/)\s]*\.ipynb)", r"](notebooks/\1", item)
            out.append(f"{k}. {item}")
        out.append("")
    if without:
        out.append("No \"Exercises\" section yet: " + ", ".join(without) + ".")
    return "\n".join(out)


def toc_yml(nbs: dict) -> str:
    out = ["format: jb-book", "root: index", "parts:"]
    for name, _, _ in PARTS:
        stems = [s for s in nbs if part_of(s) == name]
        if stems:
            out += [f"  - caption: {name}", "    chapters:"]
            out += [f"      - file: notebooks/{s}" for s in stems]
    out += ["  - caption: Teaching", "    chapters:", "      - file: teachers"]
    return "\n".join(out) + "\n"


def fill(template: str, **parts) -> str:
    for key, value in parts.items():
        template = template.replace("{{ " + key + " }}", value)
    left = re.findall(r"\{\{ \w+ \}\}", template)
    if left:
        raise ValueError(f"unfilled placeholders: {left}")
    return template


def load_notebooks(folder: Path) -> dict:
    return {p.stem: json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(folder.glob("*.ipynb"))}


def prepare(out: Path, notebooks: Path = REPO / "notebooks",
            results_dir: Path = REPO / "results", edition: str = "instructor") -> Path:
    # The repository, from the instructor notebooks' Colab badges (the student
    # edition has none: they open the instructor edition).
    repo_url, ref = repository(load_notebooks(notebooks))
    if edition == "student":  # the student edition, written beside the source
        notebooks = load_editions_module().write_student(
            out.parent / "student", notebooks)[0].parent
    nbs = load_notebooks(notebooks)
    if not nbs:
        raise SystemExit(f"no notebooks in {notebooks}")
    if out.exists():
        shutil.rmtree(out)
    (out / "notebooks").mkdir(parents=True)
    (out / "_originals").mkdir()
    shutil.copytree(BOOK / "static", out / "_static")
    shutil.copytree(BOOK / "ext", out / "_ext", ignore=shutil.ignore_patterns("__pycache__"))
    stems = set(nbs)
    names = link_names(notebooks)
    for stem, nb in nbs.items():
        shutil.copyfile(notebooks / f"{stem}.ipynb", out / "_originals" / f"{stem}.ipynb")
        copy_ = prepare_notebook(nb, stem, repo_url, ref, stems, names)
        (out / "notebooks" / f"{stem}.ipynb").write_text(
            json.dumps(copy_, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "_toc.yml").write_text(toc_yml(nbs))
    config = (BOOK / "_config.yml").read_text()
    config = config.replace("{{ repository_url }}", repo_url or "")
    config = config.replace("{{ repository_branch }}", ref)
    (out / "_config.yml").write_text(config)
    untimed = [s for s, nb in nbs.items() if run_seconds(nb) is None]
    if untimed:
        print(f"note: {', '.join(untimed)}: no execution times saved (run with `make run`, "
              "or save from `make lab`, which records them); the teachers' page says n/a",
              file=sys.stderr)
    published, message = load_project_module().ref_status(REPO)
    if not published:
        warn_loudly(message)
    (out / "index.md").write_text(fill((BOOK / "index.md").read_text(),
                                       publishing=publishing_note(published, message),
                                       index=index_md(nbs),
                                       results=results_table(results_dir, names),
                                       repository=repo_url or ""))
    (out / "teachers.md").write_text(fill((BOOK / "teachers.md").read_text(),
                                          table=teachers_table(nbs),
                                          exercises=teachers_exercises(nbs, repo_url, ref),
                                          exercise_table=load_editions_module()
                                          .exercise_table(notebooks),
                                          words_per_minute=str(WORDS_PER_MINUTE),
                                          code_lines_per_minute=str(CODE_LINES_PER_MINUTE)))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=BOOK / "_build" / "src")
    parser.add_argument("--notebooks", type=Path, default=REPO / "notebooks")
    parser.add_argument("--edition", choices=("instructor", "student"),
                        default="instructor",
                        help="student: the notebooks as tools/editions.py hands them out")
    args = parser.parse_args(argv)
    out = prepare(args.out, notebooks=args.notebooks, edition=args.edition)
    print(f"book source ({args.edition} edition): {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
