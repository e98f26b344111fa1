"""The OpenMP defaults of autorec_common (autorec_common._threads) and the
Makefile: where they are applied, and that an explicit setting wins. Their
speed is measured by `make bench` (bench/busy.py), never here."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from autorec_common import _threads

ROOT = Path(__file__).resolve().parent.parent
VARS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS", "OMP_DISPLAY_ENV",
        _threads.OPT_OUT)


def fresh(code: str, **env) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter whose environment has none of VARS
    except those given."""
    base = {k: v for k, v in os.environ.items() if k not in VARS}
    return subprocess.run([sys.executable, "-c", code], env={**base, **env},
                          capture_output=True, text=True, timeout=300, check=True)


POLICY = ("import os, autorec_common; "
          "print(os.environ.get('OMP_WAIT_POLICY'), os.environ.get('GOMP_SPINCOUNT'))")


def test_importing_the_package_makes_openmp_threads_spin_briefly_then_sleep():
    assert fresh(POLICY).stdout.split() == ["PASSIVE", _threads.SPIN]
    assert int(_threads.SPIN) < 300_000  # below GNU OpenMP's own default


def test_an_explicit_wait_setting_is_kept_and_the_other_left_unset():
    assert fresh(POLICY, OMP_WAIT_POLICY="ACTIVE").stdout.split() == ["ACTIVE", "None"]
    assert fresh(POLICY, GOMP_SPINCOUNT="7").stdout.split() == ["None", "7"]


def test_the_opt_out_leaves_openmp_to_the_libraries():
    assert fresh(POLICY, AUTOREC_THREAD_DEFAULTS="0").stdout.split() == ["None", "None"]


def test_apply_thread_defaults_sets_both_or_nothing(monkeypatch):
    for name in _threads.DEFAULTS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv(_threads.OPT_OUT, raising=False)
    assert _threads.apply_thread_defaults() == _threads.DEFAULTS
    assert os.environ["GOMP_SPINCOUNT"] == _threads.SPIN
    monkeypatch.delenv("GOMP_SPINCOUNT")
    monkeypatch.setenv("OMP_WAIT_POLICY", "active")
    assert _threads.apply_thread_defaults() == {}
    assert os.environ["OMP_WAIT_POLICY"] == "active" and "GOMP_SPINCOUNT" not in os.environ


def spin_count(code: str, **env) -> str:
    """libgomp's spin count as the OpenMP runtime loaded by ``code`` reports it
    (OMP_DISPLAY_ENV=VERBOSE)."""
    err = fresh(code, OMP_DISPLAY_ENV="VERBOSE", **env).stderr
    counts = {line.split("=")[1].strip(" '") for line in err.splitlines()
              if line.strip().startswith("GOMP_SPINCOUNT")}
    assert len(counts) == 1, err[-2000:]
    return counts.pop()


@pytest.mark.slow
def test_pytorch_imported_after_the_package_gets_the_short_spin():
    assert spin_count("import autorec_common.torch") == _threads.SPIN
    # the control: PyTorch loaded first keeps libgomp's default spinning
    assert spin_count("import torch, autorec_common") == "300000"


@pytest.mark.slow
def test_mxnet_imported_through_the_package_gets_the_short_spin():
    pytest.importorskip("autorec_common.mxnet")
    assert spin_count("import autorec_common.mxnet") == _threads.SPIN
    assert spin_count("from autorec_common.mxnet_cpu import use_fast_cpu_settings; "
                      "use_fast_cpu_settings()") == _threads.SPIN


def make_env(target_env: dict, *assignments) -> str:
    """What a Makefile recipe's shell sees of the thread variables."""
    show = ("show:; @echo \"$${OMP_WAIT_POLICY-unset} $${GOMP_SPINCOUNT-unset} "
            "$(TEST_THREADS)\"")
    base = {k: v for k, v in os.environ.items() if k not in VARS and k != "MAKEFLAGS"}
    out = subprocess.run(["make", "-s", "--no-print-directory", "-f", "Makefile",
                          "--eval", show, "show", *assignments], cwd=ROOT,
                         env={**base, **target_env}, capture_output=True, text=True,
                         timeout=60, check=True)
    return out.stdout.strip()


@pytest.mark.skipif(not os.path.exists("/usr/bin/make") and not os.path.exists("/bin/make"),
                    reason="needs make")
def test_makefile_recipes_run_with_the_package_defaults_unless_told_otherwise():
    policy, spin, threads = make_env({}).split()
    assert (policy, spin) == (_threads.DEFAULTS["OMP_WAIT_POLICY"], _threads.SPIN)
    assert int(threads) >= 1
    assert make_env({"OMP_WAIT_POLICY": "ACTIVE"}).split()[:2] == ["ACTIVE", "unset"]
    assert make_env({}, "OMP_WAIT_POLICY=ACTIVE").split()[:2] == ["ACTIVE", "unset"]
    assert make_env({}, "GOMP_SPINCOUNT=7").split()[:2] == ["unset", "7"]


BENCH = ROOT / "bench"


def fake_setting(busy_mod, path, key, idle, loaded):
    def runs(s):
        return [busy_mod.BusyRun(seconds=s, load=1.0, others=0.1)] * 2
    return busy_mod.BusySetting(path=path, key=key, label=key, env={}, idle=runs(idle),
                                busy=runs(loaded))


def test_busy_report_judges_the_package_defaults_against_the_best_setting():
    """bench/busy.py's targets: busy within 1.5x of the best setting, idle within
    10 % of the best; the section round-trips through results.json's dicts."""
    sys.path.insert(0, str(BENCH))
    try:
        import busy
    finally:
        sys.path.remove(str(BENCH))
    settings = [fake_setting(busy, "torch", "library", 0.10, 3.0),
                fake_setting(busy, "torch", "package", 0.105, 0.30),
                fake_setting(busy, "torch", "one", 0.15, 0.25),
                fake_setting(busy, "mxnet", "library", 0.10, 1.0),
                fake_setting(busy, "mxnet", "package", 0.12, 0.30)]
    v = busy.verdicts(settings)
    assert v["torch"] == pytest.approx({"busy": 1.2, "idle": 1.05})
    assert v["mxnet"] == pytest.approx({"busy": 1.0, "idle": 1.2})
    text = busy.section([busy.BusySetting.from_dict(s.to_dict()) for s in settings])
    assert "**PASS** torch" in text and "**FAIL** mxnet" in text
    assert busy.worker_env({"OMP_NUM_THREADS": "1"})["OMP_NUM_THREADS"] == "1"
    assert "OMP_WAIT_POLICY" not in busy.worker_env({})
