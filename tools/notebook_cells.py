"""Generate each notebook's Colab badge (in cell 0), setup cell (cell 1) and link texts.

Badge and setup cell come from ``autorec_common/project.py`` (the repository
and the pinned ref). The badge line of cell 0 is replaced, or added after the
title; the setup cell, a code cell tagged ``setup``, is rewritten and put at
index 1 (an old setup cell, one that tests ``google.colab`` among the first
cells, is taken for it); its outputs, execution count and other metadata are
kept. Every package a setup cell installs besides this one is pinned as
``requirements.txt`` pins it. A markdown link to another notebook reads as
that notebook's number and name in the README's table ("05 · Hidden size").

    python tools/notebook_cells.py            # rewrite the notebooks that differ
    python tools/notebook_cells.py --check    # list them and fail; change nothing
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _load_project():
    # project.py on its own: the package's __init__ would import pandas.
    spec = importlib.util.spec_from_file_location("_autorec_project", ROOT / "autorec_common" / "project.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


project = _load_project()

NOTEBOOKS = ROOT / "notebooks"
# The notebooks that cannot run without MXNet; the others run their MXNet
# sections only when MXNet is installed.
NEEDS_MXNET = {"02_autorec_mxnet", "04_framework_comparison", "13_appendix_performance"}
# Packages a notebook needs in Colab besides this collection's (Colab lacks them);
# their versions come from requirements.txt.
COLAB_EXTRAS = {"11_benchmark_u1_u5": ["scikit-surprise"]}
SETUP_TAG = "setup"
BADGE = re.compile(r"^\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)\s*$")


def pinned(name: str, requirements: Path = ROOT / "requirements.txt") -> str:
    """``name==version`` as ``requirements`` pins it; an error if it does not."""
    key = re.sub(r"[-_.]+", "-", name).lower()
    for line in requirements.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)", line)
        if m and re.sub(r"[-_.]+", "-", m.group(1)).lower() == key:
            return f"{m.group(1)}=={m.group(2)}"
    raise ValueError(f"{requirements.name} pins no version of {name}: add `{name}==...` there")


def _split_requirement(requirement: str) -> tuple[str, str, str]:
    """``NAME @ git+URL@REF`` as (NAME, URL, REF)."""
    m = re.fullmatch(r"\s*(\S+)\s*@\s*git\+(\S+)@([^@\s]+)\s*", requirement)
    if not m:
        raise ValueError(f"not a `name @ git+URL@ref` requirement: {requirement!r}")
    return m.group(1), m.group(2), m.group(3)


def setup_source(stem: str, requirement: str | None = None) -> str:
    """The text of ``stem``'s setup cell (``requirement``: what pip installs).

    The repository's address sits in a variable that IPython expands in the
    ``!pip`` line, so that no line is longer than 88 columns."""
    name, repository, ref = _split_requirement(requirement or project.pip_requirement())
    mxnet = stem in NEEDS_MXNET
    extras = [pinned(p) for p in COLAB_EXTRAS.get(stem, [])]
    what = "this collection's package"
    what += " and MXNet" if mxnet else ""
    what += "".join(f" and {p.split('==')[0]}" for p in extras)
    lines = [
        f"# Colab only: install {what}.",
        "# Elsewhere this cell does nothing.",
        "import sys",
        "",
        'if "google.colab" in sys.modules:',
        f"    # {name} at {ref}, the release these notebooks belong to",
        f'    repository = "{repository}"',
        f'    !pip install -qq "{name} @ git+{{repository}}@{ref}"',
    ]
    lines += [f"    !pip install -qq {p}" for p in extras]
    lines += [
        "    import autorec_common.colab",
        "",
        "    autorec_common.colab.setup(" + ("mxnet=True" if mxnet else "") + ")",
    ]
    return "\n".join(lines)


NOTEBOOK_LINK = re.compile(r"(?<!!)\[([^\]]*)\]\(((\d\d[a-z]?_[^/)#\s]*)\.ipynb(?:#[^)\s]*)?)\)")
README_ROW = re.compile(r"^\|\s*(\d+\w*)\s*\|\s*\[([^\]]+)\]\(notebooks/([^)]+)\.ipynb\)\s*\|")


def link_names(readme: Path = ROOT / "README.md", folder: Path | None = None) -> dict[str, str]:
    """stem -> the text of a link to it: its number and its name in the README's
    table ("05 · Hidden size"), or its title up to a colon where the table lacks it."""
    names = {}
    for line in readme.read_text(encoding="utf-8").splitlines():
        m = README_ROW.match(line)
        if m:
            names[m.group(3)] = f"{m.group(1)} · {m.group(2).strip()}"
    for path in sorted((folder or NOTEBOOKS).glob("*.ipynb")):
        if path.stem not in names:
            cell = json.loads(path.read_text(encoding="utf-8"))["cells"][0]
            m = re.search(r"^#\s+(.+?)\s*$", _text(cell), re.M)
            number = re.match(r"\d+[a-z]?", path.stem)
            if m and number:
                names[path.stem] = f"{number.group(0)} · {m.group(1).split(': ')[0]}"
    return names


def with_link_names(text: str, names: dict[str, str]) -> str:
    """``text`` with each link to a notebook of ``names`` reading as its name."""
    def fix(m):
        stem = m.group(3)
        return f"[{names[stem]}]({m.group(2)})" if stem in names else m.group(0)

    return NOTEBOOK_LINK.sub(fix, text)


def _text(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def _with_badge(text: str, badge: str) -> str:
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if BADGE.match(line):
            lines[i] = badge
            return "\n".join(lines)
    # No badge yet: put it after the title, set off by blank lines.
    at = next((i + 1 for i, line in enumerate(lines) if line.startswith("# ")), 0)
    return "\n".join(lines[:at] + ["", badge, ""] + lines[at:]).replace("\n\n\n", "\n\n")


def _find_setup(cells: list[dict]) -> int | None:
    for i, cell in enumerate(cells):
        if SETUP_TAG in _tags(cell):
            return i
    for i, cell in enumerate(cells[:4]):
        if cell["cell_type"] == "code" and "google.colab" in _text(cell):
            return i
    return None


def generate(nb: dict, stem: str, requirement: str | None = None) -> dict:
    """A copy of notebook ``nb`` (named ``stem``) with its badge, setup cell and
    links to other notebooks generated."""
    nb = copy.deepcopy(nb)
    cells = nb["cells"]
    if not cells or cells[0]["cell_type"] != "markdown":
        raise ValueError(f"{stem}: cell 0 must be the title markdown cell")
    names = link_names()
    for cell in cells:
        if cell["cell_type"] == "markdown":
            text = _text(cell)
            new = with_link_names(text, names)
            if new != text:
                cell["source"] = _lines(new)
    title = cells[0]
    badge = project.colab_badge(f"{stem}.ipynb")
    title["source"] = _lines(_with_badge(_text(title), badge))

    at = _find_setup(cells)
    if at is None:
        cell = {"cell_type": "code", "execution_count": None, "id": "colab-setup",
                "metadata": {}, "outputs": [], "source": []}
        if nb.get("nbformat", 4) == 4 and nb.get("nbformat_minor", 0) < 5:
            del cell["id"]
    else:
        cell = cells.pop(at)
    cell["source"] = _lines(setup_source(stem, requirement))
    tags = _tags(cell)
    if SETUP_TAG not in tags:
        cell.setdefault("metadata", {})["tags"] = [*tags, SETUP_TAG]
    cells.insert(1, cell)
    return nb


def dumps(nb: dict) -> str:
    """Notebook JSON as Jupyter writes it."""
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def differing(paths: list[Path] | None = None) -> dict[Path, str]:
    """Each notebook whose badge, setup cell or links are not the generated ones, with its new text."""
    out = {}
    for path in paths or notebooks():
        text = path.read_text(encoding="utf-8")
        new = dumps(generate(json.loads(text), path.stem))
        if json.loads(new) != json.loads(text):
            out[path] = new
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="fail if a notebook differs from what would be generated")
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: all)")
    args = parser.parse_args(argv)
    stale = differing(args.paths or None)
    for path, new in stale.items():
        name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        if args.check:
            print(f"{name}: Colab badge, setup cell or links not as generated")
        else:
            path.write_text(new, encoding="utf-8")
            print(f"{name}: Colab badge, setup cell and links regenerated")
    if args.check and stale:
        print("Run: python tools/notebook_cells.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
