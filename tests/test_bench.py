"""The benchmark's bookkeeping (bench/): FLOP counts, synthetic data, memory
probes, the records of results.json and the report rendered from them. Nothing
here is timed: the speed targets are checked by `make bench` only."""

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH_DIR = Path(__file__).resolve().parent.parent / "bench"
README = BENCH_DIR.parent / "README.md"


@pytest.fixture(scope="module")
def mods():
    """bench/'s modules, imported as ``make bench`` runs them (bench/ on the path)."""
    if str(BENCH_DIR) not in sys.path:
        sys.path.insert(0, str(BENCH_DIR))
    import bench
    import busy
    import probes
    import records
    import report
    return type("Bench", (), {"bench": bench, "busy": busy, "probes": probes,
                              "records": records, "report": report})


def fake_results(rec, torch_s=0.1, mxnet_s=0.12, book_s=0.35, copies=0.02, others=0.0):
    """A Results record with round numbers: one round, every path, both scalings."""
    rows, cols, best = 1682, 943, 150e9
    flops = rec.epoch_flops(rows, cols, rec.HIDDEN)

    def run(s, **kw):
        return rec.Run(baseline_mib=300.0, peak_growth_mib=40.0, matrix_mib=6.05, round_eval=s,
                       shape=[rows, cols], **kw)
    seconds = {"torch": (torch_s, {"threads": 2}),
               "mxnet": (mxnet_s, {"mx_threads": "2", "mx_engine": None,
                                   "mx_tuning": "0"}),
               "book": (book_s, {"workers": 4}),
               "book_threads": (0.9 * book_s, {"workers": 4, "mx_threads": "2"}),
               "torch_1thread": (1.6 * torch_s, {"threads": 1})}
    paths = {k: rec.PathTimes(eval=[s, s], noeval=[0.8 * s, 0.8 * s], runs=[run(s, **kw)])
             for k, (s, kw) in seconds.items()}
    rates = {rec.rate_key(shape, t): best / t
             for shape in rec.matmul_shapes(rows, cols, rec.HIDDEN) for t in (2, 1)}
    cmp = rec.Comparison(rows=rows, cols=cols, paths=paths, rates=rates, rate_samples=7,
                         rate_repeats=9, best_rate=best, round_rates=[best], flops=flops,
                         threads=2, limit=rec.Limit(flops.total / best, flops.train / best),
                         matrix_mib=rows * cols * 4 / 2**20)
    copy = {k: rec.Run(baseline_mib=500.0, peak_growth_mib=118.0 * c, matrix_mib=118.0,
                       copies=c) for k, c in [("torch", copies), ("mxnet", copies), ("book", 1.0)]}
    hidden = [rec.HiddenRow(hidden=h, seconds=0.1, noeval=0.08, gflop=1.0, limit=0.05)
              for h in (100, 500)]
    shapes = [rec.ShapeRow(name="MovieLens 1M", items=3706, users=6040, seconds=1.5,
                           noeval=1.2, gflop=157.0, limit=1.0, measured_rows=3706,
                           extrapolated=False, matrix_mib=85.4, peak_mib=900.0),
              rec.ShapeRow(name="MovieLens 10M", items=10677, users=69878, seconds=40.0,
                           noeval=30.0, gflop=5200.0, limit=35.0, measured_rows=512,
                           extrapolated=True, matrix_mib=2846.0, peak_mib=2000.0)]
    env = rec.Environment(when="2026-01-01 00:00", python="3.11", numpy="1.23.5", torch="2",
                          cpus=2, cpu="test CPU", mxnet="1.9.1")
    return rec.Results(env=env, cmp=cmp, copies=copy, hidden=hidden, shapes=shapes,
                       seconds=240.0, others=others)


@pytest.fixture
def results_json(mods, tmp_path):
    """A results.json as `make bench` writes it, from fake_results."""
    path = tmp_path / "results.json"
    fake_results(mods.records).save(path)
    return path


# --- the work in an epoch ------------------------------------------------------------

def test_epoch_flops_counts_five_products_in_training_and_two_in_evaluation(mods):
    rows, cols, hidden = 1682, 943, 500
    one_product = 2 * rows * cols * hidden  # (rows x cols) @ (cols x hidden)
    flops = mods.records.epoch_flops(rows, cols, hidden)
    assert (flops.train, flops.eval, flops.total) == (5 * one_product, 2 * one_product,
                                                      7 * one_product)
    assert flops.train == pytest.approx(7.93e9, rel=1e-3)  # the chapter's epoch
    assert mods.records.epoch_flops(rows, cols, hidden, evaluate=False).total == flops.train


def test_epoch_flops_match_the_products_of_one_epoch(mods):
    """Summing 2*m*k*n over the batch products gives the same training count."""
    rows, cols, hidden, batch = 600, 50, 20, 256
    total = 0
    for start in range(0, rows, batch):
        b = min(batch, rows - start)
        products = [(b, cols, hidden), (b, hidden, cols),       # forward
                    (b, cols, hidden), (cols, b, hidden),       # decoder: input, weight grad
                    (hidden, b, cols)]                          # encoder: weight grad
        total += sum(2 * m * k * n for m, k, n in products)
    assert total == mods.records.epoch_flops(rows, cols, hidden).train


def test_products_at_own_rates_weigh_each_shape_by_its_products(mods):
    rec, cmp = mods.records, fake_results(mods.records).cmp
    cmp.rates = {k: 100e9 for k in cmp.rates}
    unit = 2 * cmp.rows * cmp.cols * rec.HIDDEN
    own = mods.report.products_at_own_rates
    assert own(cmp) == pytest.approx(7 * unit / 100e9)
    enc = rec.matmul_shapes(cmp.rows, cmp.cols, rec.HIDDEN)[0]
    cmp.rates[rec.rate_key(enc, 2)] = 50e9  # forward and the decoder's input gradient
    assert own(cmp) == pytest.approx(9 * unit / 100e9)
    cmp.rates[rec.rate_key(enc, 1)] = 1e9  # the other thread count: unused
    assert own(cmp) == pytest.approx(9 * unit / 100e9)


def test_matmul_shapes_cover_batch_and_full_matrix(mods):
    shapes = mods.records.matmul_shapes(1682, 943, 500)
    assert (256, 943, 500) in shapes and (1682, 943, 500) in shapes
    assert all(2 * m * k * n == 2 * 943 * 500 * (1682 if 1682 in (m, k, n) else 256)
               for m, k, n in shapes)


# --- what a worker uses ------------------------------------------------------------------

def test_synthetic_ratings_have_the_requested_shape_density_and_split(mods):
    train, test = mods.bench.synthetic_ratings(300, 200, 0.05, seed=1)
    assert train.shape == test.shape == (300, 200)
    assert train.dtype == np.float32 and train.flags["C_CONTIGUOUS"]
    observed = (train != 0) | (test != 0)
    assert not np.any((train != 0) & (test != 0))  # disjoint
    assert observed.mean() == pytest.approx(0.05, rel=0.1)
    assert (test != 0).sum() / observed.sum() == pytest.approx(0.1, abs=0.03)
    values = np.concatenate([train[train != 0], test[test != 0]])
    assert set(np.unique(values)) <= {1, 2, 3, 4, 5}
    again, _ = mods.bench.synthetic_ratings(300, 200, 0.05, seed=1)
    assert np.array_equal(train, again)


def test_memory_watch_sees_a_large_allocation(mods):
    watch = mods.probes.MemoryWatch()
    block = np.ones(64 * 2**20 // 8)  # 64 MiB, touched
    result = watch.result()
    del block
    assert result["baseline_mib"] > 0
    if result["peak_exact"]:
        assert result["peak_growth_mib"] > 48


def test_cpu_share_is_a_number_of_cpus(mods):
    share = mods.probes.CpuShare()
    sum(i * i for i in range(200_000))
    others = share.others()
    assert others >= 0 or others != others  # nan where /proc/stat is missing


# --- records -------------------------------------------------------------------------------

def test_records_round_trip_through_json(mods, results_json):
    rec = mods.records
    results = rec.Results.load(results_json)
    assert results == fake_results(rec)
    assert isinstance(results.cmp.paths["torch"].runs[0], rec.Run)
    assert isinstance(results.cmp.flops, rec.Flops) and isinstance(results.shapes[0], rec.ShapeRow)
    assert rec.Results.from_dict(json.loads(json.dumps(results.to_dict()))) == results


def test_committed_results_json_loads_into_records_unchanged(mods):
    raw = json.loads((BENCH_DIR / "results.json").read_text())
    results = mods.records.Results.load(BENCH_DIR / "results.json")

    def without_none(x):  # to_dict leaves out unset fields (a worker's null settings)
        if isinstance(x, dict):
            return {k: without_none(v) for k, v in x.items() if v is not None}
        return [without_none(v) for v in x] if isinstance(x, list) else x
    assert results.to_dict() == without_none(raw)


# --- targets and the report --------------------------------------------------------------

def test_targets_pass_and_fail_on_the_stated_thresholds(mods):
    r = fake_results(mods.records)
    assert [ok for _, ok in mods.report.targets(r.cmp, r.copies)] == [True] * 4
    r = fake_results(mods.records, torch_s=0.2, book_s=0.2, copies=1.0)
    assert [ok for _, ok in mods.report.targets(r.cmp, r.copies)] == [False] * 4


def test_targets_show_each_rounds_own_ratios(mods):
    r = fake_results(mods.records)
    paths, best = r.cmp.paths, r.cmp.best_rate
    for key, s in [("torch", 0.13), ("mxnet", 0.15), ("book", 0.33)]:
        paths[key].runs.append(dataclasses.replace(paths[key].runs[0], round_eval=s))
    r.cmp.round_rates.append(best / 2)  # a slow round
    torch_text, mx_text = (text for text, _ in mods.report.targets(r.cmp, r.copies)[:2])
    one = 0.1 * best / r.cmp.flops.total
    assert torch_text.endswith(f"(rounds on their own: {one:.2f}, {one * 1.3 / 2:.2f})")
    assert mx_text.endswith(f"(rounds on their own: {0.35 / 0.12:.2f}, {0.33 / 0.15:.2f})")
    summary = mods.report.readme_summary(r)
    assert f"single rounds of the run: {one * 1.3 / 2:.2f}-{one:.2f}x" in summary
    del paths["book"].runs[1]  # rounds that do not line up: no per-round figures
    assert "rounds" not in mods.report.targets(r.cmp, r.copies)[1][0]


def test_report_renders_the_tables_and_targets_from_results_json(mods, results_json, tmp_path):
    out = tmp_path / "results.md"
    before = README.read_text()
    assert mods.report.main([str(results_json), "--out", str(out)]) == 0
    text = out.read_text()
    assert text.startswith("# Training speed") and "Measured 2026-01-01 00:00 UTC" in text
    for needed in ("## Time per epoch", "## Memory", "## Targets", "**hardware limit**",
                   "| 256 × 943 × 500 | 75 | 150 |", "MovieLens 1M (3,706 × 6,040)",
                   "Extrapolated", "not yet measured", "the epoch's products alone take",
                   "`MXNET_USE_OPERATOR_TUNING=0`", "[bench/README.md](README.md)"):
        assert needed in text
    assert text.count("**PASS**") == 4 and "**FAIL**" not in text
    assert "busy with other work" not in text
    assert README.read_text() == before  # only the committed report updates the README
    busy = mods.report.render(fake_results(mods.records, others=1.5))
    assert "busy with other work" in busy


def test_table_right_aligns_numbers_and_keeps_empty_cells(mods):
    assert mods.report.table(["a", "b"], "lr", [["x", "1"], ["y", ""]]).splitlines() == [
        "| a | b |", "|---|---:|", "| x | 1 |", "| y | |"]


def test_committed_report_is_what_report_py_renders_from_results_json(mods):
    """bench/results.md is generated: `python bench/report.py` re-renders it."""
    results = mods.records.Results.load(BENCH_DIR / "results.json")
    assert mods.report.render(results) == (BENCH_DIR / "results.md").read_text(), \
        "run python bench/report.py"


def test_readme_speed_paragraph_matches_the_committed_bench_figures(mods):
    """The README quotes bench/results.json through readme_summary; `make bench`
    (or `python bench/report.py`) refreshes both."""
    summary = mods.report.readme_summary(mods.records.Results.load(BENCH_DIR / "results.json"))
    assert summary in README.read_text(), "run python bench/report.py"
    assert "GPU" in summary and " of the 4 targets of issue 6 are met" in summary


# --- make bench, end to end, with stand-in workers ----------------------------------------

def fake_spawn(kind, spec, timeout=900, env=None):
    """What each worker answers, in round numbers and at once."""
    if kind == "limit":
        return {"rates": {"x".join(map(str, s)) + f"/{t}": 1e11 for s in spec["shapes"]
                          for t in (2, 1)}, "threads": 2}
    out = {"baseline_mib": 300.0, "peak_growth_mib": 6.0, "peak_exact": True, "matrix_mib": 120.0}
    if not spec.get("copies"):
        rows = spec["synthetic"][0] if spec.get("synthetic") else 1682
        out.update(eval=[0.2] * spec["reps"], noeval=[0.1] * spec["reps"], shape=[rows, 943])
    if kind == "torch":
        out["threads"] = spec.get("threads", 2)
    elif kind == "mxnet":
        out.update(mx_threads="2", mx_engine=spec.get("mx_engine"),
                   mx_tuning=spec.get("mx_tuning", "0"))
    else:
        out.update(workers=4, mx_threads=spec.get("mx_threads"))
    return out


def test_make_bench_writes_figures_report_and_readme(mods, tmp_path, monkeypatch):
    import autorec_common

    bench, report = mods.bench, mods.report
    matrices = type("M", (), {"train": np.zeros((1682, 943), np.float32)})
    monkeypatch.setattr(autorec_common, "rating_matrices", lambda *a, **k: matrices)
    monkeypatch.setattr(bench, "spawn", fake_spawn)
    monkeypatch.setattr(bench.scale, "spawn", lambda spec, **kw: {  # test_bench_scale.py
        "seconds": 0.5, "peak_mib": 900.0, "times": [0.5], "shape": [1, 1]})
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{report.README_START}\nold\n{report.README_END}\nafter\n")
    for name, path in [("COMMITTED", tmp_path / "results.md"), ("README", readme),
                       ("RESULTS_JSON", tmp_path / "results.json")]:
        monkeypatch.setattr(report, name, path)
    assert bench.main(["--rounds", "2"]) == 0
    results = mods.records.Results.load(tmp_path / "results.json")
    assert list(results.cmp.paths) == list(bench.PATHS)  # book_threads: our MXNet settings
    assert results.cmp.paths["book_threads"].runs[0].mx_threads == "2"
    assert len(results.cmp.paths["torch"].eval) == 4 and len(results.cmp.round_rates) == 2
    assert [s.name for s in results.shapes] == ["MovieLens 100K", "MovieLens 1M",
                                                "MovieLens 10M"]
    assert results.shapes[2].extrapolated and results.copies["book"].copies == 0.05
    assert len(results.busy) == len(mods.busy.SETTINGS)  # each setting, idle and busy
    assert all(len(b["idle"]) == len(b["busy"]) == 2 for b in results.busy)
    assert (tmp_path / "results.md").read_text() == report.render(results)
    text = readme.read_text()
    assert text.startswith("before\n") and text.endswith("\nafter\n")
    assert report.readme_summary(results) in text and "old" not in text
