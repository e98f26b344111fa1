"""The generated Colab cells (tools/notebook_cells.py) and the setup they call (autorec_common.colab)."""

import ast
import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from autorec_common import colab, project

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("notebook_cells", ROOT / "tools" / "notebook_cells.py")
cells = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cells)


def test_committed_notebooks_have_the_generated_badge_and_setup_cell():
    stale = sorted(path.name for path in cells.differing())
    assert not stale, f"run `python tools/notebook_cells.py` to regenerate: {stale}"


def test_urls_come_from_one_repository_and_ref():
    # A release tag or a full commit id: never a branch, which moves.
    assert project.IMMUTABLE_REF.fullmatch(project.REF), project.REF
    assert project.colab_url("03_x.ipynb") == (
        f"https://colab.research.google.com/github/{project.OWNER}/{project.NAME}"
        f"/blob/{project.REF}/notebooks/03_x.ipynb")
    assert project.pip_requirement() == f"autorec-common @ git+{project.REPOSITORY}@{project.REF}"


def test_a_release_tag_ref_names_this_packages_version():
    """The setup cells install REF: a tag must name the version this checkout
    declares (pyproject.toml, __version__), or the release it names cannot be
    this code; whether the tag exists is make book's check (ref_status)."""
    import autorec_common

    if project.REF.startswith("v"):
        version = re.search(r'^version\s*=\s*"([^"]+)"',
                            (ROOT / "pyproject.toml").read_text(), re.M).group(1)
        assert project.REF == f"v{version}" == f"v{autorec_common.__version__}", (
            f"REF {project.REF}, pyproject {version}, __version__ "
            f"{autorec_common.__version__}: set all three to the release (README, "
            f"Publishing)")


def _notebook(*cells_):
    return {"cells": list(cells_), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _md(text, id_="t"):
    return {"cell_type": "markdown", "id": id_, "metadata": {}, "source": text.splitlines(True)}


def _code(text, id_, **metadata):
    return {"cell_type": "code", "execution_count": 1, "id": id_, "metadata": metadata,
            "outputs": [], "source": text.splitlines(True)}


def test_generate_replaces_the_badge_and_moves_the_old_setup_cell_to_index_1():
    old = _notebook(
        _md("# Title\n\n[![Open In Colab](https://x/badge.svg)](https://x/blob/main/nb.ipynb)\n\nText."),
        _md("## Setup\n\nWhy.", "m"),
        _code('import sys\nif "google.colab" in sys.modules:\n    pass', "s", execution={"a": 1}),
        _code("import numpy", "i"))
    new = cells.generate(old, "02_autorec_mxnet")
    title, setup = new["cells"][0], new["cells"][1]
    assert "".join(title["source"]) == f"# Title\n\n{project.colab_badge('02_autorec_mxnet.ipynb')}\n\nText."
    assert setup["id"] == "s" and setup["metadata"] == {"execution": {"a": 1}, "tags": ["setup"]}
    text = "".join(setup["source"])
    assert f'repository = "{project.REPOSITORY}"' in text
    assert f'!pip install -qq "autorec-common @ git+{{repository}}@{project.REF}"' in text
    assert text.endswith("setup(mxnet=True)")
    assert [c["id"] for c in new["cells"]] == ["t", "s", "m", "i"]
    assert cells.generate(new, "02_autorec_mxnet") == new  # idempotent
    assert old["cells"][1]["id"] == "m"  # the input is left alone


def test_generate_adds_a_missing_badge_and_setup_cell():
    new = cells.generate(_notebook(_md("# Title\n\nText."), _code("x = 1", "x")), "03_autorec_pytorch")
    assert "".join(new["cells"][0]["source"]) == (
        f"# Title\n\n{project.colab_badge('03_autorec_pytorch.ipynb')}\n\nText.")
    setup = new["cells"][1]
    assert setup["metadata"]["tags"] == ["setup"] and "".join(setup["source"]).endswith("setup()")
    assert new["cells"][2]["id"] == "x"


def test_setup_cell_is_valid_ipython_in_an_if_block():
    from IPython.core.inputtransformer2 import TransformerManager

    python = TransformerManager().transform_cell(cells.setup_source("02_autorec_mxnet"))
    compile(python, "setup", "exec")
    assert "get_ipython().system('pip install -qq" in python


def _expanded_pip_commands(source: str) -> list[str]:
    """The shell commands of a setup cell's ``!pip`` lines, as IPython runs them
    in Colab (``{name}`` expanded from the cell's own assignments)."""
    from IPython.core.inputtransformer2 import TransformerManager
    from IPython.utils.text import DollarFormatter

    namespace = {}
    for line in source.splitlines():
        line = line.strip()
        if line.startswith("repository = "):
            namespace["repository"] = ast.literal_eval(line.split("=", 1)[1].strip())
    python = TransformerManager().transform_cell(source)
    calls = [ast.literal_eval(node.args[0]) for node in ast.walk(ast.parse(python))
             if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "system"]
    return [DollarFormatter().vformat(c, args=[], kwargs=namespace) for c in calls]


def test_setup_cell_installs_the_pinned_requirement():
    source = cells.setup_source("03_autorec_pytorch")
    assert max(len(line) for line in source.splitlines()) <= 88
    assert _expanded_pip_commands(source) == [f'pip install -qq "{project.pip_requirement()}"']
    local = project.pip_requirement(repository="file:///tmp/repo", ref="v9.9.9")
    assert _expanded_pip_commands(cells.setup_source("03_x", local)) == [
        f'pip install -qq "{local}"']


def _requirements_pins(name: str = "requirements.txt") -> dict:
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        if "==" in line and not line.lstrip().startswith("#"):
            name, version = line.split("#")[0].strip().split("==")
            pins[name.lower().replace("_", "-")] = version
    return pins


@pytest.mark.parametrize("path", sorted(cells.NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_package_a_notebook_installs_is_pinned(path):
    """Only the setup cell installs, this package at REF, the rest as requirements.txt pins."""
    nb = json.loads(path.read_text())
    pins = _requirements_pins()
    for i, cell in enumerate(nb["cells"]):
        text = "".join(cell["source"])
        if cell["cell_type"] != "code" or "pip install" not in text:
            continue
        assert i == 1 and "setup" in cell["metadata"].get("tags", []), (
            f"{path.name} cell {i} installs packages: only the setup cell may "
            "(add them to COLAB_EXTRAS in tools/notebook_cells.py)")
        for command in _expanded_pip_commands(text):
            for requirement in shlex.split(command)[3:]:
                if requirement.startswith("autorec-common"):
                    assert requirement == project.pip_requirement(), requirement
                    continue
                name, _, version = requirement.partition("==")
                assert pins.get(name.lower()) == version, (
                    f"{path.name} installs {requirement}; requirements.txt pins "
                    f"{name}=={pins.get(name.lower())}")


def test_the_student_editions_grading_extra_is_pinned():
    """The student edition's setup cell installs autorec-common[grading]: the
    extra must pin otter-grader as requirements.txt and the exercises do."""
    import tomllib

    from autorec_common import exercises

    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]["grading"]
    assert extra == [f"otter-grader=={_requirements_pins()['otter-grader']}"]
    assert extra == [exercises.OTTER_PIN]


def test_surprise_is_pinned_in_11s_setup_cell():
    nb = json.loads((cells.NOTEBOOKS / "11_benchmark_u1_u5.ipynb").read_text())
    assert "!pip install -qq scikit-surprise==1.1.5" in "".join(nb["cells"][1]["source"])
    with pytest.raises(ValueError, match="pins no version of no-such-package"):
        cells.pinned("no-such-package")


def test_links_between_notebooks_read_as_their_names():
    names = cells.link_names()
    assert names["05_hidden_size"] == "05 · Hidden size"
    assert set(names) == {p.stem for p in cells.NOTEBOOKS.glob("*.ipynb")}
    text = "See [05_hidden_size](05_hidden_size.ipynb#protocol) and [x](http://a/05_b.ipynb)."
    assert cells.with_link_names(text, names) == (
        "See [05 · Hidden size](05_hidden_size.ipynb#protocol) and [x](http://a/05_b.ipynb).")
    # Every committed link to a notebook reads so (the generation test keeps it).
    for path in cells.NOTEBOOKS.glob("*.ipynb"):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "markdown":
                for m in cells.NOTEBOOK_LINK.finditer("".join(cell["source"])):
                    assert m.group(1) == names[m.group(3)], f"{path.name}: {m.group(0)}"


def _git(repo, *args):
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t", GIT_CONFIG_GLOBAL=os.devnull,
               GIT_CONFIG_NOSYSTEM="1")
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def test_ref_status_says_when_the_badges_open_nothing_or_another_version(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "a.ipynb").write_text("{}")
    (tmp_path / "pyproject.toml").write_text('[project]\nversion = "1.2.3"\n')
    assert not project.ref_status(tmp_path, "v1.2.3")[0]  # not a git checkout
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "one")
    ok, message = project.ref_status(tmp_path, "v1.2.3")
    assert not ok and "does not exist" in message
    _git(tmp_path, "tag", "v1.2.3")
    ok, message = project.ref_status(tmp_path, "v1.2.3")
    assert ok and "v1.2.3" in message
    assert "does not match the package version" in project.ref_status(tmp_path, "v1.2.4")[1]
    assert "neither a release tag" in project.ref_status(tmp_path, "main")[1]
    (tmp_path / "notebooks" / "a.ipynb").write_text('{"cells": []}')
    _git(tmp_path, "commit", "-qam", "two")
    ok, message = project.ref_status(tmp_path, "v1.2.3")
    assert not ok and "not the one shown here" in message


def test_check_mode_fails_on_a_stale_notebook(tmp_path, capsys):
    path = tmp_path / "05_x.ipynb"
    path.write_text(cells.dumps(_notebook(_md("# T"), _code("x = 1", "x"))))
    assert cells.main(["--check", str(path)]) == 1
    assert cells.main([str(path)]) == 0
    assert cells.main(["--check", str(path)]) == 0
    assert json.loads(path.read_text())["cells"][1]["metadata"]["tags"] == ["setup"]


def test_setup_does_nothing_outside_colab(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("ran a command"))
    assert colab.setup(mxnet=True) is None


@pytest.fixture
def fake_colab(monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", type(sys)("google.colab"))
    calls = []

    def run(command, **kwargs):
        calls.append(command)
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(subprocess, "run", run)
    return calls


def test_setup_installs_mxnet_without_its_dependencies_when_missing(fake_colab, monkeypatch, capsys):
    versions = {"numpy": "2.1.3", "setuptools": "75.2.0"}
    monkeypatch.setattr(colab, "installed_version", versions.get)
    line = colab.setup(mxnet=True)
    [command] = fake_colab
    assert command[1:] == ["-m", "pip", "install", "-q", "--no-deps", "mxnet==1.9.1",
                           "d2l==1.0.3"]
    assert "NumPy 2.1.3 kept" in line and capsys.readouterr().out == line + "\n"


def test_setup_installs_only_what_the_requirements_pin(fake_colab, monkeypatch):
    """What colab.setup() installs is pinned as requirements*.txt pin it; setuptools
    too, which it adds on Python 3.12 and later where it is missing."""
    pins = {**_requirements_pins(), **_requirements_pins("requirements-nodeps.txt")}
    assert (colab.MXNET_VERSION, colab.D2L_VERSION, colab.SETUPTOOLS_VERSION) == (
        pins["mxnet"], pins["d2l"], pins["setuptools"])
    monkeypatch.setattr(colab, "installed_version", {"numpy": "2.1.3"}.get)
    monkeypatch.setattr(sys, "version_info", (3, 12, 0))
    colab.setup(mxnet=True)
    [command] = fake_colab
    assert command[6:] == ["mxnet==1.9.1", "d2l==1.0.3", f"setuptools=={pins['setuptools']}"]


def test_setup_does_not_reinstall_mxnet(fake_colab, monkeypatch, capsys):
    monkeypatch.setattr(colab, "installed_version", {"mxnet": "1.9.1", "d2l": "1.0.3",
                                                       "setuptools": "1"}.get)
    assert "already installed" in colab.setup(mxnet=True)
    assert colab.setup() == f"Colab setup: autorec_common ({project.REF}) is installed."
    assert fake_colab == []


def test_setup_shows_pip_output_only_on_failure(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "google.colab", type(sys)("google.colab"))
    monkeypatch.setattr(colab, "installed_version", lambda name: None)

    def fail(command, **kwargs):
        raise subprocess.CalledProcessError(1, command, "out\n", "ERROR: no network\n")

    monkeypatch.setattr(subprocess, "run", fail)
    with pytest.raises(colab.ColabSetupError, match="internet"):
        colab.setup(mxnet=True)
    assert "ERROR: no network" in capsys.readouterr().err


MXNET_MODULES = ("mxnet", "d2l", "autorec_common.mxnet", "autorec_common.mxnet_cpu")


def unguarded_mxnet_imports(path: Path) -> list[str]:
    """Imports of MXNet (or of what needs it) at the top level of a code cell,
    outside any ``if``/``try``: the ones that fail without MXNet."""
    from IPython.core.inputtransformer2 import TransformerManager

    found = []
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] != "code" or "setup" in cell["metadata"].get("tags", []):
            continue
        python = TransformerManager().transform_cell("".join(cell["source"]))  # magics
        for node in ast.parse(python).body:
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            found += [n for n in names if any(n == m or n.startswith(m + ".")
                                              for m in MXNET_MODULES)]
    return found


@pytest.mark.parametrize("path", sorted(cells.NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_only_the_mxnet_notebooks_import_mxnet_unguarded(path):
    imports = unguarded_mxnet_imports(path)
    if path.stem in cells.NEEDS_MXNET:
        assert imports, f"{path.stem} no longer needs MXNet: drop it from NEEDS_MXNET"
    else:
        assert not imports, f"{path.name} imports {imports} outside a guard: it fails without MXNet"
