"""The benchmark's bookkeeping (bench/bench.py): FLOP counts, synthetic data,
memory probes and the report. Nothing here is timed: the speed targets are
checked by `make bench` only."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench" / "bench.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("autorec_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_epoch_flops_counts_five_products_in_training_and_two_in_evaluation(bench):
    rows, cols, hidden = 1682, 943, 500
    one_product = 2 * rows * cols * hidden  # (rows x cols) @ (cols x hidden)
    flops = bench.epoch_flops(rows, cols, hidden)
    assert flops["train"] == 5 * one_product
    assert flops["eval"] == 2 * one_product
    assert flops["total"] == 7 * one_product
    assert flops["train"] == pytest.approx(7.93e9, rel=1e-3)  # the chapter's epoch
    assert bench.epoch_flops(rows, cols, hidden, evaluate=False)["total"] == flops["train"]


def test_epoch_flops_match_the_products_of_one_epoch(bench):
    """Summing 2*m*k*n over the batch products gives the same training count."""
    rows, cols, hidden, batch = 600, 50, 20, 256
    total = 0
    for start in range(0, rows, batch):
        b = min(batch, rows - start)
        products = [(b, cols, hidden), (b, hidden, cols),       # forward
                    (b, cols, hidden), (cols, b, hidden),       # decoder: input, weight grad
                    (hidden, b, cols)]                          # encoder: weight grad
        total += sum(2 * m * k * n for m, k, n in products)
    assert total == bench.epoch_flops(rows, cols, hidden)["train"]


def test_products_at_own_rates_weigh_each_shape_by_its_products(bench):
    _, cmp, *_ = fake_measurements(bench)
    cmp["rates"] = {k: 100e9 for k in cmp["rates"]}
    unit = 2 * cmp["rows"] * cmp["cols"] * bench.HIDDEN
    assert bench.products_at_own_rates(cmp) == pytest.approx(7 * unit / 100e9)
    enc = bench.matmul_shapes(cmp["rows"], cmp["cols"], bench.HIDDEN)[0]
    cmp["rates"][bench.rate_key(enc, 2)] = 50e9  # forward and the decoder's input
    assert bench.products_at_own_rates(cmp) == pytest.approx(9 * unit / 100e9)  # gradient
    cmp["rates"][bench.rate_key(enc, 1)] = 1e9  # the other thread count: unused
    assert bench.products_at_own_rates(cmp) == pytest.approx(9 * unit / 100e9)


def test_matmul_shapes_cover_batch_and_full_matrix(bench):
    shapes = bench.matmul_shapes(1682, 943, 500)
    assert (256, 943, 500) in shapes and (1682, 943, 500) in shapes
    assert all(2 * m * k * n == 2 * 943 * 500 * (1682 if 1682 in (m, k, n) else 256)
               for m, k, n in shapes)


def test_synthetic_ratings_have_the_requested_shape_density_and_split(bench):
    train, test = bench.synthetic_ratings(300, 200, 0.05, seed=1)
    assert train.shape == test.shape == (300, 200)
    assert train.dtype == np.float32 and train.flags["C_CONTIGUOUS"]
    observed = (train != 0) | (test != 0)
    assert not np.any((train != 0) & (test != 0))  # disjoint
    assert observed.mean() == pytest.approx(0.05, rel=0.1)
    assert (test != 0).sum() / observed.sum() == pytest.approx(0.1, abs=0.03)
    values = np.concatenate([train[train != 0], test[test != 0]])
    assert set(np.unique(values)) <= {1, 2, 3, 4, 5}
    again, _ = bench.synthetic_ratings(300, 200, 0.05, seed=1)
    assert np.array_equal(train, again)


def test_memory_watch_sees_a_large_allocation(bench):
    watch = bench.MemoryWatch()
    block = np.ones(64 * 2**20 // 8)  # 64 MiB, touched
    result = watch.result()
    del block
    assert result["baseline_mib"] > 0
    if result["peak_exact"]:
        assert result["peak_growth_mib"] > 48


def test_cpu_share_is_a_number_of_cpus(bench):
    share = bench.CpuShare()
    sum(i * i for i in range(200_000))
    others = share.others()
    assert others >= 0 or others != others  # nan where /proc/stat is missing


def fake_measurements(bench, torch_s=0.1, mxnet_s=0.12, book_s=0.35, copies=0.02):
    rows, cols = 1682, 943
    flops = bench.epoch_flops(rows, cols, bench.HIDDEN)
    best = 150e9
    run = {"baseline_mib": 300.0, "peak_growth_mib": 40.0, "workers": 4, "mx_threads": "2"}
    paths = {k: {"eval": [s, s], "noeval": [0.8 * s, 0.8 * s],
                 "runs": [{**run, "round_eval": s}]}
             for k, s in [("torch", torch_s), ("mxnet", mxnet_s), ("book", book_s),
                          ("book_threads", 0.9 * book_s), ("torch_1thread", 1.6 * torch_s)]}
    rates = {bench.rate_key(shape, t): best / t
             for shape in bench.matmul_shapes(rows, cols, bench.HIDDEN) for t in (2, 1)}
    cmp = {"rows": rows, "cols": cols, "paths": paths, "rates": rates, "best_rate": best,
           "rate_samples": 7, "rate_repeats": 9, "round_rates": [best], "flops": flops,
           "threads": 2,
           "limit": {"eval": flops["total"] / best, "noeval": flops["train"] / best},
           "matrix_mib": rows * cols * 4 / 2**20}
    copy = {k: {"copies": copies, "matrix_mib": 118.0} for k in ("torch", "mxnet")}
    copy["book"] = {"copies": 1.0, "matrix_mib": 118.0}
    hidden = [{"hidden": h, "seconds": 0.1, "noeval": 0.08, "gflop": 1.0, "limit": 0.05}
              for h in (100, 500)]
    shapes = [{"name": "MovieLens 1M", "items": 3706, "users": 6040, "seconds": 1.5,
               "noeval": 1.2, "gflop": 157.0, "limit": 1.0, "measured_rows": 3706,
               "extrapolated": False, "matrix_mib": 85.4, "peak_mib": 900.0},
              {"name": "MovieLens 10M", "items": 10677, "users": 69878, "seconds": 40.0,
               "noeval": 30.0, "gflop": 5200.0, "limit": 35.0, "measured_rows": 512,
               "extrapolated": True, "matrix_mib": 2846.0, "peak_mib": 2000.0}]
    env = {"cpu": "test CPU", "cpus": 2, "python": "3.11", "torch": "2", "mxnet": "1.9.1",
           "numpy": "1.23.5"}
    return env, cmp, copy, hidden, shapes


def test_targets_pass_and_fail_on_the_stated_thresholds(bench):
    _, cmp, copy, *_ = fake_measurements(bench)
    assert [ok for _, ok in bench.targets(cmp, copy)] == [True, True, True, True]
    _, cmp, copy, *_ = fake_measurements(bench, torch_s=0.2, book_s=0.2, copies=1.0)
    assert [ok for _, ok in bench.targets(cmp, copy)] == [False, False, False, False]


def test_targets_show_each_rounds_own_ratios(bench):
    env, cmp, copy, hidden, shapes = fake_measurements(bench)
    paths, best = cmp["paths"], cmp["best_rate"]
    paths["torch"]["runs"].append({**paths["torch"]["runs"][0], "round_eval": 0.13})
    cmp["round_rates"].append(best / 2)  # a slow round
    paths["mxnet"]["runs"].append({**paths["mxnet"]["runs"][0], "round_eval": 0.15})
    paths["book"]["runs"].append({**paths["book"]["runs"][0], "round_eval": 0.33})
    torch_text, mx_text = (text for text, _ in bench.targets(cmp, copy)[:2])
    one = 0.1 * best / cmp["flops"]["total"]
    assert torch_text.endswith(f"(rounds on their own: {one:.2f}, {one * 1.3 / 2:.2f})")
    assert mx_text.endswith(f"(rounds on their own: {0.35 / 0.12:.2f}, {0.33 / 0.15:.2f})")
    summary = bench.readme_summary(env, cmp, copy, hidden, shapes, 60.0, 0.0)
    assert f"single rounds of the run: {one * 1.3 / 2:.2f}-{one:.2f}x" in summary
    del paths["book"]["runs"][1]  # rounds that do not line up: no per-round figures
    assert "rounds" not in bench.targets(cmp, copy)[1][0]


def test_report_has_the_tables_targets_and_caveats(bench):
    env, cmp, copy, hidden, shapes = fake_measurements(bench)
    text = bench.report(env, cmp, copy, hidden, shapes, seconds=240.0, others=0.0)
    for needed in ("## Time per epoch", "## Memory", "## Targets", "hardware limit",
                   "MovieLens 1M (3,706 × 6,040)", "Extrapolated", "not yet measured",
                   "256 × 943 × 500", "the epoch's products alone take"):
        assert needed in text
    assert text.count("**PASS**") == 4 and "**FAIL**" not in text
    assert "busy with other work" not in text
    busy = bench.report(env, cmp, copy, hidden, shapes, seconds=240.0, others=1.5)
    assert "busy with other work" in busy


def test_render_writes_the_report_from_saved_figures(bench, tmp_path, capsys):
    env, cmp, copy, hidden, shapes = fake_measurements(bench)
    env["when"] = "2026-01-01 00:00"
    raw = tmp_path / "raw.json"
    raw.write_text(__import__("json").dumps(
        {"env": env, "cmp": cmp, "copies": copy, "hidden": hidden, "shapes": shapes,
         "seconds": 60.0, "others": 0.0}))
    out = tmp_path / "results.md"
    readme = BENCH.parent.parent / "README.md"
    before = readme.read_text()
    assert bench.main(["--render", str(raw), "--out", str(out)]) == 0
    text = out.read_text()
    assert text.startswith("# Training speed") and "Measured 2026-01-01 00:00 UTC" in text
    assert text.count("**PASS**") == 4
    assert readme.read_text() == before  # only the committed report updates the README
    summary = bench.readme_summary(env, cmp, copy, hidden, shapes, 60.0, 0.0)
    assert "4 of the 4 targets" in summary and "not yet measured" in summary


def test_readme_speed_paragraph_matches_the_committed_bench_figures(bench):
    """The README quotes bench/results.json through readme_summary; `make bench`
    (or `python bench/bench.py --render bench/results.json`) refreshes both."""
    raw = json.loads((BENCH.parent / "results.json").read_text())
    readme = (BENCH.parent.parent / "README.md").read_text()
    assert bench.readme_summary(**raw) in readme, "run python bench/bench.py --render bench/results.json"
    assert "GPU" in bench.readme_summary(**raw)
