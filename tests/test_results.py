"""The results recorder and the README generator under hostile input: whole
files or none, errors that name the file, a table that is never erased."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autorec_common import results

REPO = Path(__file__).resolve().parent.parent
LOCKS = {".lock", ".01_demo.running"}  # record()'s lock files


def entry(value=0.9, label="test RMSE", digits=3):
    return {"label": label, "value": value, "std": None, "n": None, "digits": digits}


@pytest.fixture
def project(tmp_path):
    """A README with markers and a results folder with one notebook's file."""
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "01_demo.json").write_text(json.dumps({"rmse": entry()}))
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{results.START}\nold\n{results.END}\nend\n")
    return tmp_path


def generate(project, *extra):
    return results.main(["--readme", str(project / "README.md"),
                         "--results", str(project / "results"), *extra])


def run_with_file_size_limit(code: str, limit: int, cwd: Path):
    """Run ``code`` in a child whose writes fail past ``limit`` bytes per file,
    as on a full disk."""
    prelude = ("import resource, signal; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
               f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))\n")
    return subprocess.run([sys.executable, "-c", prelude + code], cwd=cwd,
                          env=dict(os.environ, PYTHONPATH=str(REPO)),
                          capture_output=True, text=True, timeout=120)


def test_readme_survives_a_full_disk(project):
    (project / "results" / "02_big.json").write_text(json.dumps(
        {f"k{i}": entry(label="x" * 60) for i in range(100)}))
    before = (project / "README.md").read_text()
    code = ("from autorec_common import results; "
            "raise SystemExit(results.main(['--readme', 'README.md', '--results', 'results']))")
    out = run_with_file_size_limit(code, 4096, project)
    # the usual error line and exit status, not a traceback (fault2 F22)
    assert out.returncode == 2 and out.stderr.startswith("error: cannot write README.md") \
        and "File too large" in out.stderr and "Traceback" not in out.stderr
    assert "Free some disk space" in out.stderr
    assert (project / "README.md").read_text() == before
    assert sorted(p.name for p in project.iterdir()) == ["README.md", "results"]


def test_results_file_survives_a_full_disk(project):
    code = ("import os; os.environ['AUTOREC_RESULTS'] = 'results'\n"
            "from autorec_common import results\n"
            "for i in range(100): results.record('01_demo', f'k{i}', 0.5, label='x' * 60)")
    out = run_with_file_size_limit(code, 4096, project)
    assert out.returncode != 0 and "File too large" in out.stderr
    kept = json.loads((project / "results" / "01_demo.json").read_text())
    assert kept and set(kept) == {f"k{i}" for i in range(len(kept))}  # the last whole file
    left = {p.name for p in (project / "results").iterdir()}
    assert left - LOCKS == {"01_demo.json"}  # no temporary left


def test_atomic_write_keeps_the_mode_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "README.md"
    path.write_text("old")
    path.chmod(0o640)
    results.atomic_write_text(path, "new ±")
    assert path.read_text(encoding="utf-8") == "new ±" and path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["README.md"]


@pytest.mark.parametrize("content, reason", [
    ('{"rmse": {"label": "x", "value": 0.9', "cannot be read as JSON"),
    ("", "cannot be read as JSON"),
    ("[1, 2]", "expected an object of entries, found list"),
    ('{"rmse": {"label": "x", "value": 0.9, "std": null, "n": null}}',
     "entry 'rmse' is not a recorded result"),
])
def test_a_bad_results_file_is_named_and_the_readme_kept(project, capsys, content, reason):
    bad = project / "results" / "03_bad.json"
    bad.write_text(content)
    before = (project / "README.md").read_text()
    assert generate(project) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and reason in err
    assert (project / "README.md").read_text() == before
    with pytest.raises(results.ResultsError, match="03_bad.json"):
        results.load(project / "results")


@pytest.mark.parametrize("folder", ["missing", "empty"])
def test_no_results_never_erases_the_table(project, capsys, folder):
    shutil.rmtree(project / "results")
    if folder == "empty":
        (project / "results").mkdir()
    (project / "README.md").write_text(
        f"intro\n{results.START}\n| a | b |\n{results.END}\nend\n")
    before = (project / "README.md").read_text()
    assert generate(project) == 2 and generate(project, "--check") == 2
    assert "refusing to empty" in capsys.readouterr().err
    assert (project / "README.md").read_text() == before


def test_markers_out_of_order_are_an_error_not_a_crash(project, capsys):
    (project / "README.md").write_text(f"{results.END}\n{results.START}\n")
    assert generate(project) == 2
    assert "needs one" in capsys.readouterr().err


def test_a_dropped_notebook_is_reported(project, capsys):
    assert generate(project) == 0
    (project / "results" / "02_other.json").write_text(json.dumps({"x": entry()}))
    (project / "results" / "01_demo.json").unlink()
    assert generate(project) == 0
    assert "no longer lists 01_demo" in capsys.readouterr().err


def test_labels_cannot_break_the_table_or_its_markers(project):
    (project / "results" / "01_demo.json").write_text(json.dumps({
        "a": entry(label="RMSE | MAE"), "b": entry(label="two\nlines"),
        "c": entry(label=f"sneaky {results.END}")}))
    assert generate(project) == 0
    first = (project / "README.md").read_text()
    assert r"| RMSE \| MAE |" in first and "| two lines |" in first
    assert first.count(results.END) == 1
    assert generate(project) == 0 and generate(project, "--check") == 0
    assert (project / "README.md").read_text() == first
    rows = [line for line in first.splitlines() if line.startswith("| [")]
    assert len(rows) == 3 and all(line.replace(r"\|", "").count("|") == 5 for line in rows)


def test_record_refuses_a_name_that_leaves_the_folder(tmp_path, monkeypatch):
    monkeypatch.setenv(results.RESULTS_ENV, str(tmp_path / "r"))
    for name in ("../../escaped", "a/b", "", ".hidden"):
        with pytest.raises(ValueError, match="plain file name"):
            results.record(name, "k", 1.0)
    assert not (tmp_path / "escaped.json").exists()


def test_record_names_a_corrupt_file_it_would_add_to(tmp_path, monkeypatch):
    monkeypatch.setenv(results.RESULTS_ENV, str(tmp_path))
    results.record("09_demo", "a", 1.0)
    (tmp_path / "09_demo.json").write_text("{not json")
    with pytest.raises(results.ResultsError, match="09_demo.json"):
        results.record("09_demo", "b", 2.0)


def test_installed_outside_a_checkout_writes_to_the_user_cache(tmp_path):
    site = tmp_path / "site-packages"
    shutil.copytree(REPO / "autorec_common", site / "autorec_common",
                    ignore=shutil.ignore_patterns("__pycache__"))
    cache = tmp_path / "cache"
    env = {k: v for k, v in os.environ.items()
           if k not in (results.RESULTS_ENV, "AUTOREC_DATA")}
    env.update(PYTHONPATH=str(site), XDG_CACHE_HOME=str(cache), HOME=str(tmp_path))
    code = ("import autorec_common as ac; from autorec_common import results; "
            "ac.record('01_demo', 'rmse', 0.9); "
            "print(results.results_dir()); print(ac.data_dir())")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    said, where, data = out.stdout.splitlines()
    assert Path(where) == cache / "autorec-notebooks" / "results"
    assert said.startswith(f"Recorded into {Path(where) / '01_demo.json'} ")
    assert Path(data) == cache / "autorec-notebooks"
    assert (Path(where) / "01_demo.json").is_file()
    assert not (site / "results").exists()


def test_a_notebook_run_by_hand_never_rewrites_the_checkouts_results(
        tmp_path, monkeypatch, capsys):
    """Issue 23: in a checkout, without AUTOREC_RESULTS (Jupyter), record() writes
    to the user's cache and says where, once; only `make run` writes results/."""
    monkeypatch.delenv(results.RESULTS_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    before = {p.name: p.read_bytes() for p in (REPO / "results").glob("*.json")}
    results.record("03_autorec_pytorch", "test_rmse", 0.5, n=1)
    results.record("03_autorec_pytorch", "other", 0.25)
    where = tmp_path / "autorec-notebooks" / "results" / "03_autorec_pytorch.json"
    assert set(json.loads(where.read_text())) == {"test_rmse", "other"}
    said = capsys.readouterr().out
    assert said.count("Recorded into") == 1 and str(where) in said and "make run" in said
    assert {p.name: p.read_bytes() for p in (REPO / "results").glob("*.json")} == before


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_run_records_into_the_checkouts_results(tmp_path):
    # STAMP must not name the Makefile: make -n runs the recipe that remakes a
    # makefile, so in a fresh clone it built a whole .venv here.
    out = subprocess.run(["make", "-n", "run", "NOTEBOOKS=notebooks/x.ipynb",
                          f"STAMP={tmp_path / 'stamp'}"], cwd=REPO, capture_output=True,
                         text=True, timeout=60, check=True)
    assert f'AUTOREC_RESULTS="{REPO}/results"' in out.stdout


def test_record_into_an_unusable_folder_names_the_variable(tmp_path, monkeypatch):
    (tmp_path / "afile").write_text("x")
    monkeypatch.setenv(results.RESULTS_ENV, str(tmp_path / "afile"))
    with pytest.raises(results.ResultsError, match=results.RESULTS_ENV):
        results.record("01_demo", "k", 1.0)


def test_a_readme_not_in_utf8_is_an_error(project, capsys):
    (project / "README.md").write_bytes(b"\xff\xfe" + results.START.encode())
    assert generate(project) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "README.md: not UTF-8 text" in err


def test_temporaries_of_a_killed_writer_are_removed_next_time(tmp_path):
    path = tmp_path / "README.md"
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    dead = tmp_path / f".README.md.{child.stdout.strip()}-0000.tmp"
    alive = tmp_path / f".README.md.{os.getpid()}-1111.tmp"
    dead.write_text("half")
    alive.write_text("in progress")
    results.atomic_write_text(path, "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == [alive.name, "README.md"]


# fault2 failure 2 (F8): record() writes only what its reader accepts.
@pytest.mark.parametrize("kwargs, reason", [
    (dict(digits=20), "digits must be"), (dict(digits=-1), "digits must be"),
    (dict(digits=2.0), "digits must be a whole number"),
    (dict(label=5), "label must be text"), (dict(std=-1.0), "std must be"),
    (dict(n=-3), "n must be"), (dict(n=0), "n must be"), (dict(n=10 ** 5000), "n must be"),
    (dict(n=2.7), "n must be a whole number"), (dict(n=True), "n must be a whole number"),
    (dict(value="1.5"), "value must be a number"), (dict(value=10 ** 400), "not finite"),
    (dict(value=float("inf")), "not finite"), (dict(std=float("nan")), "not finite"),
    (dict(key=""), "key must be"), (dict(by="seed"), "'by' and 'ids' describe"),
    (dict(label="x\ud800"), "label must be non-empty text in UTF-8"),
    (dict(key="k\ud800"), "key must be"),
    (dict(values=[1.0, 2.0], value=1.5, by="seed", ids=1), "ids must be a list"),
    (dict(values=[1.0, 2.0], value=1.5, by="seed", ids=["\ud800", "b"]), "ids must be"),
    (dict(values=[1.0, 2.0], value=1.5, by="\udfff"), "values need 'by'"),
])
def test_record_refuses_what_the_reader_would_refuse(tmp_path, monkeypatch, kwargs,
                                                     reason):
    monkeypatch.setenv(results.RESULTS_ENV, str(tmp_path))
    results.record("01_demo", "good", 0.9, std=0.01, n=3)
    args = {"key": "bad", "value": 1.0, **kwargs}
    with pytest.raises(ValueError, match=reason) as info:
        results.record("01_demo", args.pop("key"), args.pop("value"), **args)
    assert len(str(info.value)) < 200  # the value is quoted, not printed whole
    results.record("01_demo", "later", 0.8)  # the notebook is not poisoned
    assert set(results.load(tmp_path)["01_demo"]) == {"good", "later"}


def test_what_record_writes_the_reader_reads(tmp_path, monkeypatch):
    monkeypatch.setenv(results.RESULTS_ENV, str(tmp_path))
    np = pytest.importorskip("numpy")
    results.record("01_demo", "np", np.float32(0.5), std=np.float64(0.1),
                   n=np.int64(4), digits=np.int8(2), label="numpy scalars")
    results.record("01_demo", "int", 3, digits=0)
    stored = results.load(tmp_path)["01_demo"]
    assert stored["np"] == {"label": "numpy scalars", "value": 0.5,
                            "std": pytest.approx(0.1), "n": 4, "digits": 2}
    assert all(results.entry_problem(e) is None for e in stored.values())


# Issue 21 and the oracle's review: per-seed values, and n that counts them.
def test_per_seed_values_are_recorded_and_checked(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(results.RESULTS_ENV, str(tmp_path))
    folds = [0.9171, 0.9102, 0.9081, 0.9120, 0.9166]
    mean = sum(folds) / 5
    sd = (sum((v - mean) ** 2 for v in folds) / 4) ** 0.5
    e = results.record("11_demo", "rmse_5fold", mean, std=sd, values=folds, by="fold",
                       ids=["u1", "u2", "u3", "u4", "u5"], digits=4, label="5 folds")
    assert e["n"] == 5 and e["values"] == folds and e["by"] == "fold"
    assert results.load(tmp_path)["11_demo"]["rmse_5fold"] == e
    for kwargs, reason in [
        (dict(n=25), "n is 25 but values holds 5 \\(one per fold\\)"),
        (dict(std=sd * 5 ** 0.5), "not the standard deviation"),
        (dict(value=mean + 0.001), "not the mean of its values"),
        (dict(by=None), "values need 'by'"),
        (dict(ids=["u1", "u2"]), "one id per value"),
        (dict(ids=["u1"] * 5), "distinct"),
        (dict(values=[0.9, float("nan")]), "not finite"),
        (dict(values=[]), "non-empty list"),
    ]:
        args = dict(value=mean, std=sd, values=folds, by="fold")
        args.update(kwargs)
        with pytest.raises(ValueError, match=reason):
            results.record("11_demo", "bad", args.pop("value"), **args)
    readme = tmp_path / "README.md"
    readme.write_text(f"{results.START}\n{results.END}\n")
    assert results.main(["--readme", str(readme), "--results", str(tmp_path)]) == 0
    assert "| [11_demo](notebooks/11_demo.ipynb) | 5 folds | 0.9128 ± 0.0040 | 5 |" \
        in readme.read_text()


def test_a_series_names_its_values_by_its_index(tmp_path, monkeypatch):
    pd = pytest.importorskip("pandas")
    monkeypatch.setenv(results.RESULTS_ENV, str(tmp_path))
    by_seed = pd.Series([0.91, 0.93, 0.92], index=pd.Index([3, 1, 2], name="seed"))
    e = results.record("05_demo", "rmse", float(by_seed.mean()), std=float(by_seed.std()),
                       values=by_seed, by="seed")
    assert e["ids"] == [3, 1, 2] and e["n"] == 3
    e = results.record("05_demo", "named", float(by_seed.mean()), std=float(by_seed.std()),
                       values=by_seed, by="seed", ids=["a", "b", "c"])
    assert e["ids"] == ["a", "b", "c"]  # explicit ids win
    e = results.record("05_demo", "list", 0.5, std=0.0, values=[0.5, 0.5], by="seed")
    assert "ids" not in e


def test_the_reader_refuses_inconsistent_values(project, capsys):
    (project / "results" / "11_x.json").write_text(json.dumps({"rmse": {
        **entry(value=0.5), "n": 25, "std": 0.1, "values": [0.4, 0.6], "by": "fold"}}))
    assert generate(project) == 2
    err = capsys.readouterr().err
    assert "11_x.json" in err and "n is 25 but values holds 2" in err


# fault2 failure 3 (F27): concurrent runs of one notebook lose no key.
def test_concurrent_records_into_one_notebook_lose_nothing(tmp_path):
    go = tmp_path / "go"
    code = ("import os, sys, time\n"
            "from autorec_common import results\n"
            f"while not os.path.exists({str(go)!r}): time.sleep(0.01)\n"
            "for j in range(25): results.record('05_same', f'p{sys.argv[1]}_k{j}', j)\n")
    env = dict(os.environ, PYTHONPATH=str(REPO), AUTOREC_RESULTS=str(tmp_path / "r"))
    procs = [subprocess.Popen([sys.executable, "-c", code, str(i)], env=env,
                              stderr=subprocess.PIPE, text=True) for i in range(6)]
    go.touch()
    for proc in procs:
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
    keys = set(results.load(tmp_path / "r")["05_same"])
    assert keys == {f"p{i}_k{j}" for i in range(6) for j in range(25)}


def wait_for_flock(pid: int, kind: str, blocked: bool, timeout: float = 60):
    """Wait until process ``pid`` holds (or waits for) a flock of ``kind``
    (READ or WRITE), as /proc/locks lists them (``->``: waiting)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for line in Path("/proc/locks").read_text().splitlines():
            fields = line.split()
            if "FLOCK" in fields and kind in fields and str(pid) in fields and \
                    ("->" in fields) == blocked:
                return
        time.sleep(0.02)
    pytest.fail(f"process {pid} never {'waited for' if blocked else 'held'} a {kind} flock")


@pytest.mark.skipif(not Path("/proc/locks").is_file(), reason="needs /proc/locks")
def test_a_process_that_joins_a_starting_run_loses_nothing(tmp_path):
    """X starts a run and waits for the folder's lock; Y starts meanwhile, then
    X writes and ends before Y writes: Y is part of X's run, so Y's first write
    keeps X's number (it once started afresh, as if X had been another run)."""
    import fcntl

    env = dict(os.environ, PYTHONPATH=str(REPO), AUTOREC_RESULTS=str(tmp_path))
    rec = "from autorec_common import results; results.record('05_y', {!r}, 1.0)"
    held = os.open(tmp_path / ".lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(held, fcntl.LOCK_EX)  # a writer of another notebook, say
    procs = []
    try:
        procs.append(subprocess.Popen([sys.executable, "-c", rec.format("x")], env=env))
        wait_for_flock(procs[0].pid, "WRITE", blocked=False)  # X holds its run's lock
        procs.append(subprocess.Popen([sys.executable, "-c", rec.format("y")], env=env))
        wait_for_flock(procs[1].pid, "READ", blocked=True)  # Y waits to join it
    finally:
        os.close(held)
        for proc in procs:
            assert proc.wait(timeout=120) == 0
    assert set(results.load(tmp_path)["05_y"]) == {"x", "y"}


def test_a_record_waiting_for_the_lock_says_so(tmp_path, monkeypatch, capsys):
    import fcntl
    import threading

    monkeypatch.setenv("AUTOREC_RESULTS", str(tmp_path))
    monkeypatch.setattr(results, "LOCK_NOTICE", 0.1)
    holder = os.open(tmp_path / ".lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(holder, fcntl.LOCK_EX)  # another open file: another "process"
    threading.Timer(0.6, os.close, [holder]).start()
    results.record("01_demo", "k", 1.0)
    assert "Waiting for another process recording into" in capsys.readouterr().err
    assert json.loads((tmp_path / "01_demo.json").read_text())["k"]["value"] == 1.0


@pytest.mark.parametrize("folder_mode, lock_mode", [(0o755, 0o600), (0o775, 0o660)])
def test_only_writers_of_the_results_folder_can_open_its_locks(tmp_path, monkeypatch,
                                                                folder_mode, lock_mode):
    monkeypatch.setenv("AUTOREC_RESULTS", str(tmp_path))
    monkeypatch.setattr(results, "_STARTED", {})
    tmp_path.chmod(folder_mode)
    old = os.umask(0)
    try:
        results.record("01_demo", "k", 1.0)
    finally:
        os.umask(old)
    for name in LOCKS:
        assert (tmp_path / name).stat().st_mode & 0o777 == lock_mode, name


def test_a_run_replaces_the_file_unless_another_is_recording(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO), AUTOREC_RESULTS=str(tmp_path))
    rec = "from autorec_common import results; results.record('05_x', {!r}, 1.0)"
    alive = subprocess.Popen([sys.executable, "-c", rec.format("a") + "; input()"],
                             env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
    try:
        for _ in range(600):  # wait for its record()
            if (tmp_path / "05_x.json").exists():
                break
            time.sleep(0.1)
        subprocess.run([sys.executable, "-c", rec.format("b")], env=env, check=True,
                       timeout=120)
        assert set(results.load(tmp_path)["05_x"]) == {"a", "b"}
    finally:
        alive.communicate("\n", timeout=120)
    subprocess.run([sys.executable, "-c", rec.format("c")], env=env, check=True,
                   timeout=120)
    assert set(results.load(tmp_path)["05_x"]) == {"c"}  # the last run wins


# fault2 failure 4 (F23, F24): a file name cannot add a row, a link or a marker.
@pytest.mark.parametrize("name", [f"x{results.END}", "a](https:__evil.example) [x",
                                  "x\n| injected | row | 1 | 2 |", "white space", "é",
                                  "x\nerror: none\x1b[2J"])
def test_a_results_file_name_cannot_inject_into_the_readme(project, capsys, name):
    shutil.copy(project / "results" / "01_demo.json", project / "results" / f"{name}.json")
    before = (project / "README.md").read_text()
    assert generate(project) == 2
    err = capsys.readouterr().err
    assert "not a results file name" in err
    # nor a line or a terminal control sequence to the message
    assert err.count("\n") == 1 and "\x1b" not in err
    assert (project / "README.md").read_text() == before


def test_hidden_files_are_not_results_and_link_targets_are_escaped(project):
    (project / "results" / ".notes.json").write_text("not json")
    assert set(results.load(project / "results")) == {"01_demo"}
    table = results.render_table({"a) [b](c": {"k": entry()}})
    assert "(notebooks/a%29%20%5Bb%5D%28c.ipynb)" in table


# fault2 failure 5 (F5, F6): numbers a result cannot hold, refused with the file.
@pytest.mark.parametrize("text", [
    '{"k": {"label": "x", "value": NaN, "std": null, "n": 1, "digits": 3}}',
    '{"k": {"label": "x", "value": Infinity, "std": null, "n": 1, "digits": 3}}',
    '{"k": {"label": "x", "value": 0.9, "std": -Infinity, "n": 1, "digits": 3}}',
    '{"k": {"label": "x", "value": 1e400, "std": null, "n": 1, "digits": 3}}',
    '{"k": {"label": "x", "value": 0.9, "std": null, "n": true, "digits": 3}}',
    '{"k": {"label": "x", "value": %s, "std": null, "n": 1, "digits": 3}}' % (10 ** 400),
    '{"k": {"label": "x", "value": %s, "std": null, "n": 1, "digits": 3}}' % ("9" * 5000),
    '{"k": ' + "[" * 100_000 + "]" * 100_000 + "}",
    '{"k": {"label": "x", "value": 0.9, "digits": 3, "std": null, "vaules": [1]}}',
])
def test_odd_json_is_refused_with_the_file_named(project, capsys, text):
    (project / "results" / "09_odd.json").write_text(text)
    before = (project / "README.md").read_text()
    assert generate(project) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "09_odd.json" in err
    assert (project / "README.md").read_text() == before


def test_an_integer_too_long_to_print_is_refused_by_its_digits(project, capsys):
    # 4,000 digits: json reads it, but Python refuses to print it (over 4300)
    # once it is a digit longer; the message must not fail in turn.
    (project / "results" / "09_odd.json").write_text(
        '{"k": {"label": "x", "value": 1, "n": 1%s, "digits": 3}}' % ("0" * 4000))
    assert generate(project) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "09_odd.json" in err and "n must be" in err
    assert results._quote(10 ** 5000) == "<an integer of some 5000 digits>"
    assert results._quote({"n": 10 ** 5000}) == "<dict too long to print>"


@pytest.mark.parametrize("text", [
    '{"k": {"label": "x\\ud800", "value": 1, "digits": 3}}',
    '{"k\\ud800": {"label": "x", "value": 1, "digits": 3}}',
    '{" ": {"label": "x", "value": 1, "digits": 3}}',
])
def test_text_utf8_cannot_write_is_refused_with_the_file_named(project, capsys, text):
    # JSON escapes a lone surrogate, which the README (UTF-8) cannot hold.
    (project / "results" / "09_odd.json").write_text(text)
    before = (project / "README.md").read_text()
    assert generate(project) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "09_odd.json" in err, err
    assert (project / "README.md").read_text() == before


def test_a_huge_results_file_is_refused(project, capsys):
    (project / "results" / "09_big.json").write_text(" " * (results.MAX_FILE_BYTES + 1))
    assert generate(project) == 2 and "09_big.json" in capsys.readouterr().err


# A results file or README committed as a symlink to a device or a named pipe
# (git stores symlinks) is refused at once, not read until memory runs out.
@pytest.mark.parametrize("kind", ["device", "fifo", "folder"])
@pytest.mark.parametrize("which", ["results", "readme"])
def test_a_results_file_or_readme_that_is_no_regular_file_is_refused(
        project, capsys, kind, which):
    target = project / ("results/09_odd.json" if which == "results" else "README.md")
    before = (project / "README.md").read_bytes()
    if which == "readme":
        target.unlink()
    if kind == "device":
        target.symlink_to(os.devnull if which == "readme" else "/dev/zero")
    elif kind == "fifo":
        os.mkfifo(target)
    else:
        target.mkdir()
    start = time.monotonic()
    assert generate(project) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and str(target) in err, err
    assert time.monotonic() - start < 5
    if which == "results":
        assert (project / "README.md").read_bytes() == before


def test_a_readme_larger_than_any_readme_is_refused(project, capsys, monkeypatch):
    monkeypatch.setattr(results, "MAX_README_BYTES", 1000)
    (project / "README.md").write_text(
        f"{results.START}\n{results.END}\n" + "x" * 1000)
    assert generate(project) == 2
    assert "more than 1,000 bytes" in capsys.readouterr().err


# fault2 failure 6 (F25): a temporary with an absurd pid is skipped.
def test_a_temporary_with_an_absurd_pid_is_left_alone(tmp_path):
    odd = tmp_path / ".README.md.99999999999999999999-x.tmp"
    odd.write_text("?")
    results.atomic_write_text(tmp_path / "README.md", "new")
    assert (tmp_path / "README.md").read_text() == "new" and odd.exists()


# fault2 failure 12 (F21): a README that is a symlink is written through.
def test_a_symlinked_readme_is_written_through(project):
    real = project / "real.md"
    (project / "README.md").rename(real)
    (project / "README.md").symlink_to("real.md")
    assert generate(project) == 0
    assert (project / "README.md").is_symlink()
    assert "| [01_demo](notebooks/01_demo.ipynb) |" in real.read_text()


# Issue 24 item 1's rule for every atomic writer: a temporary swapped for a symlink
# while it is written never leads the write (or its chmod) elsewhere.
def test_atomic_write_refuses_a_swapped_temporary(tmp_path, monkeypatch):
    victim = tmp_path / "victim.conf"
    victim.write_text("precious")
    victim.chmod(0o600)
    path = tmp_path / "README.md"
    path.write_text("old")
    path.chmod(0o644)
    real_fsync = os.fsync

    def swap(fd):
        real_fsync(fd)
        tmp, = tmp_path.glob(".README.md.*.tmp")
        tmp.unlink()
        tmp.symlink_to(victim)

    monkeypatch.setattr(os, "fsync", swap)
    with pytest.raises(OSError, match="was replaced"):
        results.atomic_write_text(path, "new")
    assert victim.read_text() == "precious" and victim.stat().st_mode & 0o777 == 0o600
    assert path.read_text() == "old" and not path.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md", "victim.conf"]


def test_atomic_write_never_leaves_a_link_swapped_in_before_the_rename(tmp_path,
                                                                      monkeypatch):
    victim = tmp_path / "victim.md"
    victim.write_text(f"{results.START}\n{results.END}\n")
    path = tmp_path / "README.md"
    path.write_text("old")
    real_replace = os.replace

    def swap_then_replace(src, dst):
        os.unlink(src)
        os.symlink(victim, src)
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", swap_then_replace)
    with pytest.raises(OSError, match="was replaced by a link"):
        results.atomic_write_text(path, "new")
    monkeypatch.undo()
    assert not os.path.lexists(path)  # never a link a later write would follow
    assert victim.read_text() == f"{results.START}\n{results.END}\n"


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_atomic_write_leaks_no_descriptor(tmp_path):
    before = len(os.listdir("/proc/self/fd"))
    results.atomic_write_text(tmp_path / "a.md", "x")
    with pytest.raises(OSError):
        results.atomic_write_text(tmp_path / "missing" / "a.md", "x")
    assert len(os.listdir("/proc/self/fd")) == before


# Issue 21: a number that several notebooks state is one result, not several.
REFERENCE_RUNS = [("06_depth", "test_rmse_1_layer"),
                  ("07_activations", "book_pair_test_rmse"),
                  ("10_autorec_vs_mf", "i_autorec_random")]


@pytest.mark.parametrize("notebook, key", REFERENCE_RUNS)
def test_the_reference_runs_are_notebook_05s(notebook, key):
    committed = Path(__file__).resolve().parents[1] / "results"
    stored = results.load(committed)
    reference = stored["05_hidden_size"]["reference_test_rmse"]
    other = stored[notebook][key]
    assert other.get("values") and reference.get("values"), (notebook, key)
    # the same seeds, configuration and split: the same runs, to the last digit
    assert other["values"] == pytest.approx(reference["values"], abs=1e-9), (
        f"{notebook}/{key} records other runs of the reference I-AutoRec than "
        f"05_hidden_size/reference_test_rmse: re-execute both notebooks")
