"""make colab-check: run notebooks the way a Colab reader does, in Colab-shaped environments.

For each run below, this builds a fresh virtual environment with the Python and
the package versions of Colab's default runtime (no MXNet, no d2l), clones
this repository's HEAD, tags the clone with ``project.REF`` and executes the
notebook with its setup cell pointed at that clone (``git+file://``), so that
pip builds and installs the package as it does from GitHub. Before the first
cell, the kernel has an (empty) ``google.colab`` module and NumPy imported, as
Colab's kernel has. The data archive is put into the default cache folder of a
fresh home directory, and the notebook runs in a folder outside any checkout.

A run passes when the kernel survives (no restart), no cell has an error or
prints to stderr, the setup cell prints only its one line and takes under a
minute, NumPy's version is the one the environment started with, and every
cell whose output nbval checks (tag ``nbval-check-output`` or a
``# NBVAL_CHECK_OUTPUT`` comment) prints what the committed notebook shows.

pip's downloads are cached in ``.cache/colab-check/pip``, so a rerun needs no
network except for what Colab itself would fetch.

    python tests/colab/colab_check.py            # every run
    python tests/colab/colab_check.py 03         # the runs of notebooks starting with 03
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "colab-check"

# Colab's default runtime (googlecolab/backend-info, pip-freeze.txt of August 2026),
# the packages a notebook of this collection touches.
COLAB_PACKAGES = [
    "numpy==2.1.3", "scipy==1.16.3", "pandas==2.2.3", "matplotlib==3.10.0",
    "ipykernel==6.17.1", "ipython==7.34.0", "jupyter_client==7.4.9", "ipywidgets==7.7.1",
    "tqdm==4.67.3", "requests==2.32.4", "pooch==1.9.0", "setuptools==75.2.0",
]
COLAB_PIP = "pip==24.1.2"

# (notebook, Python, packages added to or replacing Colab's): 02 on Colab's Python;
# 03 on 3.11, the one Python with a CPU wheel of torch on the test machine
# (torch 2.13 needs setuptools>=77, newer than Colab's, which has torch 2.11).
RUNS = [
    ("02_autorec_mxnet", "3.13", []),
    ("03_autorec_pytorch", "3.11", ["torch==2.13.0", "setuptools"]),
]
SETUP_SECONDS = 60
SKIPPED_OUTPUT_KEYS = {"metadata", "traceback", "prompt_number", "output_type", "name",
                       "execution_count", "application/vnd.jupyter.widget-view+json",
                       "image/png", "image/jpeg"}
VERSIONS = """\
import importlib.metadata as m, json, platform
names = ["numpy", "scipy", "pandas", "matplotlib", "ipython", "ipykernel", "jupyter_client",
         "pip", "setuptools", "mxnet", "torch", "d2l", "autorec-common"]
out = {"python": platform.python_version()}
for name in names:
    try:
        out[name] = m.version(name)
    except m.PackageNotFoundError:
        out[name] = None
print(json.dumps(out))
"""


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


cells = _load("notebook_cells", ROOT / "tools" / "notebook_cells.py")
project = cells.project


def log(message: str) -> None:
    print(f"[colab-check {time.strftime('%H:%M:%S')}] {message}", flush=True)


def sh(*command, **kwargs) -> subprocess.CompletedProcess:
    """Run ``command`` quietly; on failure show its output and stop."""
    run = subprocess.run([str(c) for c in command], capture_output=True, text=True, **kwargs)
    if run.returncode:
        noise = "is ignored: it is neither a file nor a directory"  # a machine's pip.conf
        output = "".join(line for line in (run.stdout + run.stderr).splitlines(True) if noise not in line)
        sys.exit(f"failed ({run.returncode}): {' '.join(map(str, command))}\n{output}")
    return run


def find_python(version: str) -> str:
    """An interpreter of Python ``version``: $COLAB_PYTHON<digits>, pythonX.Y, or pyenv's."""
    candidates = [os.environ.get("COLAB_PYTHON" + version.replace(".", "")), f"python{version}"]
    candidates += sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python{version}")),
                         reverse=True)
    for candidate in filter(None, candidates):
        path = shutil.which(candidate) or candidate
        try:
            out = subprocess.run([path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                 capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.returncode == 0 and out.stdout.strip() == version:
            return path
    sys.exit(f"no Python {version} found (set COLAB_PYTHON{version.replace('.', '')})")


def _name(requirement: str) -> str:
    return requirement.split("==")[0].lower().replace("_", "-")


def base_environment(version: str, extra: list[str], rebuild: bool = False) -> Path:
    """The site-packages of Colab's preinstalled packages for Python ``version``, built once.

    Kept between runs (named by a hash of the pins) and never written to by a
    run: each run's environment sees it through a ``.pth`` file, as Colab's
    notebooks see its preinstalled packages, and pip installs into the run's own.
    """
    replaced = {_name(req) for req in extra}
    packages = [req for req in COLAB_PACKAGES if _name(req) not in replaced] + extra
    key = hashlib.sha256(json.dumps([version, COLAB_PIP, packages]).encode()).hexdigest()[:12]
    folder = CACHE / f"base-{version}-{key}"
    if rebuild:
        shutil.rmtree(folder, ignore_errors=True)
    if not (folder / ".complete").exists():
        log(f"building Colab's preinstalled packages for Python {version} (once; kept in {folder.name})")
        shutil.rmtree(folder, ignore_errors=True)
        sh(find_python(version), "-m", "venv", folder)
        pip = [folder / "bin" / "python", "-m", "pip", "--disable-pip-version-check", "install", "-q"]
        sh(*pip, COLAB_PIP)
        sh(*pip, *packages)
        (folder / ".complete").write_text(json.dumps(packages) + "\n")
    return _site_packages(folder)


def _site_packages(venv: Path) -> Path:
    [path] = (venv / "lib").glob("python*/site-packages")
    return path


def build_venv(folder: Path, version: str, extra: list[str], rebuild: bool = False) -> Path:
    """A fresh environment of Python ``version`` over Colab's preinstalled packages."""
    base = base_environment(version, extra, rebuild)
    sh(find_python(version), "-m", "venv", folder)
    # addsitedir, not a plain path line: the base's own .pth files (setuptools'
    # distutils shim among them) must run too.
    (_site_packages(folder) / "colab_preinstalled.pth").write_text(
        f"import site; site.addsitedir({str(base)!r})\n")
    venv_python = folder / "bin" / "python"
    sh(venv_python, "-m", "pip", "--disable-pip-version-check", "install", "-q", COLAB_PIP)
    return venv_python


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def versions(venv_python: Path) -> dict:
    return json.loads(sh(venv_python, "-c", VERSIONS).stdout)


def clone_head(target: Path) -> Path:
    sh("git", "clone", "-q", "--no-hardlinks", ROOT, target)
    sh("git", "-C", target, "tag", "-f", project.REF, "HEAD")
    return target


def seed_data(home: Path) -> None:
    """Put the MovieLens archive where the installed package looks by default."""
    for folder in (os.environ.get("AUTOREC_DATA"), ROOT / "data", ROOT.parent / "shared" / "data",
                   Path.home() / ".cache" / "autorec-notebooks"):
        if folder and (Path(folder) / "ml-100k.zip").is_file():
            cache = home / ".cache" / "autorec-notebooks"
            cache.mkdir(parents=True, exist_ok=True)
            shutil.copy(Path(folder) / "ml-100k.zip", cache / "ml-100k.zip")
            return
    log("no local ml-100k.zip: the notebook will download it")


def fake_colab(scratch: Path) -> tuple[Path, Path]:
    """A ``google.colab`` module, and an IPython startup file that imports it and NumPy."""
    modules = scratch / "fake-colab"
    (modules / "google" / "colab").mkdir(parents=True)
    (modules / "google" / "colab" / "__init__.py").write_text('"""Stands in for Colab."""\n')
    ipython_dir = scratch / "ipython"
    startup = ipython_dir / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-colab.py").write_text("import google.colab\nimport numpy\n")
    return modules, ipython_dir


def kernel_env(venv_python: Path, home: Path, modules: Path, ipython_dir: Path) -> dict:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("AUTOREC_", "JUPYTER", "IPYTHON", "VIRTUAL_ENV", "PYTHON", "XDG_",
                                  "MPLBACKEND", "CONDA"))}
    env.update(HOME=str(home), PYTHONPATH=str(modules), IPYTHONDIR=str(ipython_dir),
               PATH=f"{venv_python.parent}{os.pathsep}{env.get('PATH', '')}",
               PIP_CACHE_DIR=str(CACHE / "pip"), PYDEVD_DISABLE_FILE_VALIDATION="1")
    return env


def is_checked(cell: dict) -> bool:
    return ("nbval-check-output" in cell.get("metadata", {}).get("tags", [])
            or "# NBVAL_CHECK_OUTPUT" in cells._text(cell))


def comparable(outputs: list) -> dict:
    """Outputs as nbval compares them: streams joined, each key's values in order."""
    merged = []
    for out in outputs:
        if (out.get("output_type") == "stream" and merged
                and merged[-1].get("output_type") == "stream" and merged[-1]["name"] == out["name"]):
            merged[-1] = dict(merged[-1], text=merged[-1]["text"] + out["text"])
        else:
            merged.append(out)
    table = {}
    for out in merged:
        for key, value in out.items():
            if key in SKIPPED_OUTPUT_KEYS:
                continue
            items = value.items() if key == "data" else [(key, value)]
            for k, v in items:
                if k not in SKIPPED_OUTPUT_KEYS:
                    table.setdefault(k, []).append("".join(v) if isinstance(v, list) else v)
    return table


def text_of(outputs: list) -> str:
    return "".join("".join(o.get("text", "")) if o.get("output_type") == "stream"
                   else "".join(o.get("data", {}).get("text/plain", "")) for o in outputs)


def seconds(cell: dict) -> float | None:
    timing = cell.get("metadata", {}).get("execution", {})
    try:
        from datetime import datetime
        start = datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return None
    return (end - start).total_seconds()


def execute(nb: dict, venv_python: Path, env: dict, cwd: Path, kernels: Path) -> tuple[dict, str | None]:
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    spec = kernels / "colab"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(venv_python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (Colab-shaped)", "language": "python"}))
    km = KernelManager(kernel_name="colab", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)]))
    node = nbformat.reads(json.dumps(nb), as_version=4)
    client = NotebookClient(node, km=km, timeout=900, allow_errors=True, record_timing=True,
                            resources={"metadata": {"path": str(cwd)}})
    problem = None
    try:
        client.execute(env=env, cwd=str(cwd))
    except DeadKernelError as error:
        problem = f"the kernel died or restarted: {error}"
    return json.loads(nbformat.writes(node)), problem


def check_run(stem: str, version: str, extra: list[str], scratch: Path, rebuild: bool) -> dict:
    started = time.perf_counter()
    venv_python = build_venv(scratch / "venv", version, extra, rebuild)
    base = base_environment(version, extra)
    base_before = listing(base)
    log(f"{stem}: a fresh Python {version} environment over Colab's packages")
    before = versions(venv_python)
    built = time.perf_counter() - started
    repo = clone_head(scratch / "repo")
    home, content = scratch / "home", scratch / "content"
    content.mkdir(parents=True)
    seed_data(home)
    modules, ipython_dir = fake_colab(scratch)

    committed = json.loads((repo / "notebooks" / f"{stem}.ipynb").read_text())
    requirement = project.pip_requirement(repository=f"file://{repo}", ref=project.REF)
    nb = cells.generate(committed, stem, requirement=requirement)
    for cell in nb["cells"]:  # long exercise solutions: make solutions runs them
        if "nbval-skip" in cell.get("metadata", {}).get("tags", []):
            cell["source"], cell["outputs"] = "", []
    if cells.generate(committed, stem) != committed:
        log(f"{stem}: its committed setup cell is not the generated one; running the generated one")
    log(f"{stem}: executing it (setup cell: {requirement})")
    run_started = time.perf_counter()
    executed, problem = execute(nb, venv_python, kernel_env(venv_python, home, modules, ipython_dir),
                                content, scratch / "kernels")
    ran = time.perf_counter() - run_started
    after = versions(venv_python)

    failures = [problem] if problem else []
    by_id = {cell.get("id"): cell for cell in committed["cells"]}
    checked = 0
    for index, cell in enumerate(executed["cells"]):
        if cell["cell_type"] != "code":
            continue
        where = f"cell {index}"
        for out in cell.get("outputs", []):
            if out["output_type"] == "error":
                failures.append(f"{where}: {out['ename']}: {out['evalue']}")
            elif out["output_type"] == "stream" and out["name"] == "stderr":
                failures.append(f"{where} printed to stderr: {''.join(out['text']).strip()[:500]}")
        old = by_id.get(cell.get("id"))
        if old is None or not is_checked(old):
            continue
        checked += 1
        if comparable(cell["outputs"]) != comparable(old["outputs"]):
            failures.append(f"{where}: output differs from the committed one:\n"
                            f"--- committed\n{text_of(old['outputs'])}\n--- now\n{text_of(cell['outputs'])}")
    setup = executed["cells"][1]
    setup_text = text_of(setup["outputs"]).strip()
    setup_seconds = seconds(setup)
    if len(setup_text.splitlines()) != 1 or not setup_text.startswith("Colab setup:"):
        failures.append(f"the setup cell printed more than its one line:\n{setup_text}")
    if setup_seconds is None or setup_seconds >= SETUP_SECONDS:
        failures.append(f"the setup cell took {setup_seconds} s (limit {SETUP_SECONDS} s)")
    if listing(base) != base_before:
        failures.append(f"the run changed Colab's preinstalled packages in {base}")
    if before["numpy"] != after["numpy"]:
        failures.append(f"NumPy changed from {before['numpy']} to {after['numpy']}")
    site = glob.glob(str(scratch / "venv" / "lib" / "python*" / "site-packages" / "results" / "*.json"))
    (CACHE / f"{stem}.ipynb").write_text(cells.dumps(executed))
    return {"notebook": stem, "python": after["python"], "versions": after,
            "setup_output": setup_text, "setup_seconds": setup_seconds,
            "build_seconds": round(built, 1), "run_seconds": round(ran, 1),
            "results_in_site_packages": [Path(p).name for p in site], "checked_cells": checked,
            "failures": failures}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("only", nargs="*", help="run only the notebooks whose names start so")
    parser.add_argument("--rebuild", action="store_true",
                        help="rebuild the environments of Colab's preinstalled packages")
    args = parser.parse_args(argv)
    runs = [run for run in RUNS if not args.only or run[0].startswith(tuple(args.only))]
    CACHE.mkdir(parents=True, exist_ok=True)
    os.environ["PIP_CACHE_DIR"] = str(CACHE / "pip")
    reports = []
    for stem, version, extra in runs:
        scratch = CACHE / "run" / stem
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True)
        report = check_run(stem, version, extra, scratch, args.rebuild)
        reports.append(report)
        v = report["versions"]
        log(f"{stem}: Python {v['python']}, numpy {v['numpy']}, scipy {v['scipy']}, pandas {v['pandas']}, "
            f"matplotlib {v['matplotlib']}, IPython {v['ipython']}, ipykernel {v['ipykernel']}, "
            f"mxnet {v['mxnet']}, torch {v['torch']}, d2l {v['d2l']}")
        log(f"{stem}: environment {report['build_seconds']} s, notebook {report['run_seconds']} s, "
            f"setup cell {report['setup_seconds'] or 0:.1f} s: {report['setup_output']!r}; "
            f"{report['checked_cells']} cells with checked output")
        if report["results_in_site_packages"]:
            log(f"{stem}: note: ac.record() wrote into site-packages/results: {report['results_in_site_packages']}")
        for failure in report["failures"]:
            log(f"{stem}: FAIL: {failure}")
        shutil.rmtree(scratch / "venv", ignore_errors=True)
    (CACHE / "report.json").write_text(json.dumps(reports, indent=1) + "\n")
    failed = [r["notebook"] for r in reports if r["failures"]]
    log(f"{'FAILED: ' + ', '.join(failed) if failed else 'passed'} (report: {CACHE / 'report.json'})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
