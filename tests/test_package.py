"""Package hygiene and the framework-neutral helpers."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from autorec_common import grid, run_sweep, summarize
from autorec_common import results


@pytest.mark.slow
def test_core_and_torch_adapter_import_without_mxnet_or_d2l():
    code = ("import sys; import autorec_common, autorec_common.torch; "
            "bad = [m for m in ('mxnet', 'd2l') if m in sys.modules]; "
            "sys.exit(f'imported {bad}' if bad else 0)")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_core_imports_no_framework():
    code = ("import sys, autorec_common; "
            "bad = [m for m in ('mxnet', 'd2l', 'torch') if m in sys.modules]; "
            "sys.exit(f'imported {bad}' if bad else 0)")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_sweep_runs_every_config_and_seed():
    def train(seed, a, b):
        return {"score": a * 10 + b + seed / 100}

    runs = run_sweep(train, grid(a=[1, 2], b=[0, 5]), seeds=[0, 1, 2], progress=False)
    assert len(runs) == 12 and set(runs.columns) >= {"a", "b", "seed", "score", "seconds"}
    table = summarize(runs, ["a", "b"], "score")
    assert table.loc[(2, 5), ("score", "mean")] == pytest.approx(25.01)
    assert table.loc[(1, 0), ("score", "std")] == pytest.approx(0.01)
    assert (table[("score", "count")] == 3).all()


def test_results_round_trip_and_readme(tmp_path, monkeypatch):
    monkeypatch.setenv(results.RESULTS_ENV, str(tmp_path))
    results.record("01_demo", "rmse", 0.8951, std=0.0042, n=5, label="test RMSE")
    with pytest.raises(ValueError, match="not finite"):
        results.record("01_demo", "bad", float("nan"))
    stored = json.loads((tmp_path / "01_demo.json").read_text())
    assert stored["rmse"]["value"] == 0.8951 and "bad" not in stored
    # A later run of the notebook (a new process) replaces what an earlier one left.
    (tmp_path / "02_demo.json").write_text(json.dumps({"stale": {"value": 1.0}}))
    results.record("02_demo", "fresh", 0.5)
    results.record("02_demo", "second", 0.25)
    assert set(json.loads((tmp_path / "02_demo.json").read_text())) == {"fresh", "second"}
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{results.START}\nold\n{results.END}\nend\n")
    assert results.main(["--readme", str(readme), "--results", str(tmp_path), "--check"]) == 1
    assert results.main(["--readme", str(readme), "--results", str(tmp_path)]) == 0
    text = readme.read_text()
    assert "| test RMSE | 0.895 ± 0.004 | 5 |" in text and text.endswith("end\n")
    assert results.main(["--readme", str(readme), "--results", str(tmp_path), "--check"]) == 0


def test_readme_table_matches_recorded_results():
    """The README's results table is exactly what results/ holds."""
    assert results.main(["--check"]) == 0, "run `make readme`"
