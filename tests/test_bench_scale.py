"""bench/scale.py's bookkeeping: which data sets each path runs on, what it
reports and how it reads the targets of issue 25. Nothing here is timed."""

import sys
from pathlib import Path

import pytest

BENCH_DIR = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture(scope="module")
def scale():
    if str(BENCH_DIR) not in sys.path:
        sys.path.insert(0, str(BENCH_DIR))
    import scale
    return scale


def fake_spawn(spec, **kwargs):
    """A worker's answer: the sparse path 10x faster; memory by shape."""
    seconds = {"MovieLens 100K": 0.1, "MovieLens 1M": 1.0, "MovieLens 10M": 10.0,
               "MovieLens 20M": 30.0, "MovieLens 32M": 60.0}[spec["data"]]
    if spec["path"] == "dense":
        seconds *= 10
    return {"seconds": seconds, "times": [seconds], "peak_mib": 1024.0 * 3,
            "shape": [1, 1], "spec": spec}


def test_compare_runs_both_paths_and_skips_dense_where_it_cannot_fit(scale, monkeypatch):
    monkeypatch.setattr(scale, "spawn", fake_spawn)
    monkeypatch.setattr(scale, "ram_bytes", lambda: 24 * 2**30)
    out = scale.compare(150e9, log=lambda msg: None)
    rows = {r["name"]: r for r in out["rows"]}
    assert list(rows) == ["MovieLens 100K", "MovieLens 1M", "MovieLens 10M",
                          "MovieLens 20M", "MovieLens 32M"]
    assert "extrapolated_from" not in rows["MovieLens 1M"]["dense"]  # trained whole
    ten = rows["MovieLens 10M"]["dense"]  # 3 x 2.8 GiB > a quarter of 24 GiB
    assert ten["extrapolated_from"] == scale.DENSE_ROWS
    assert ten["seconds"] == pytest.approx(100.0 * 10_677 / scale.DENSE_ROWS)
    assert "14.8 GiB" not in rows["MovieLens 20M"]["dense"]["skipped"]
    assert "41.4 GiB" in rows["MovieLens 20M"]["dense"]["skipped"]
    assert all("seconds" in r["sparse"] for r in out["rows"])
    quick = scale.compare(150e9, log=lambda msg: None, quick=True)
    assert [r["name"] for r in quick["rows"]] == ["MovieLens 100K", "MovieLens 1M"]


def test_targets_pass_and_fail_on_the_stated_thresholds(scale):
    def result(s100k, dense10m, sparse10m, peak20m, s20m):
        return {"batch": 256, "hidden": 500, "rows": [
            {"name": "MovieLens 100K", "limit": 0.07, "dense": {"seconds": 0.14},
             "sparse": {"seconds": s100k, "peak_mib": 400}},
            {"name": "MovieLens 10M", "limit": 30.0, "dense": {"seconds": dense10m},
             "sparse": {"seconds": sparse10m, "peak_mib": 1500}},
            {"name": "MovieLens 20M", "limit": 120.0, "dense": {"skipped": "too big"},
             "sparse": {"seconds": s20m, "peak_mib": peak20m}}]}

    ok = [passed for _, passed in scale.targets(result(0.06, 60, 6, 3000, 40))]
    assert ok == [True, True, True]
    bad = [passed for _, passed in scale.targets(result(0.08, 60, 15, 5000, 40))]
    assert bad == [False, False, False]
    assert not scale.targets(result(0.06, 60, 6, 3000, 70))[2][1]


def test_render_and_readme_sentence_state_every_row(scale, monkeypatch):
    monkeypatch.setattr(scale, "spawn", fake_spawn)
    monkeypatch.setattr(scale, "ram_bytes", lambda: 24 * 2**30)
    out = scale.compare(150e9, log=lambda msg: None)
    text = scale.render(out)
    for name in ("MovieLens 100K", "MovieLens 1M shape", "MovieLens 20M shape"):
        assert f"| {name} |" in text
    assert "MovieLens 20M, dense: not run: its dense matrices need" in text
    assert "\\* MovieLens 10M, dense: trained on the first 512 item rows" in text
    assert "Targets of issue 25" in text and "**PASS** MovieLens 10M shape" in text
    sentence = scale.readme_sentence(out)
    assert "1M 1.0 s (peak 3.0 GiB), 10M 10.0 s" in sentence
