"""The evidence protocol on synthetic data (no training of real models)."""

import dataclasses
import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from autorec_common import protocol
from autorec_common.data import in_checkout


def bowl(best_lr, best_k=None):
    """A validation 'RMSE' with its minimum at ``best_lr`` (log scale)."""
    def train(seed, lr, k=None, **fixed):
        rmse = 0.9 + 0.01 * math.log10(lr / best_lr) ** 2
        if best_k is not None:
            rmse += 0.001 * abs(k - best_k)
        return {"valid_rmse": rmse + 1e-5 * seed, "fixed": fixed.get("hidden", 0)}
    return train


def test_tune_interior_winner_needs_no_extension():
    calls = []
    train = bowl(0.002)
    tuned = protocol.tune(lambda **kw: calls.append(kw) or train(**kw),
                          {"lr": [0.001, 0.002, 0.004]}, fixed={"hidden": 500})
    assert tuned.config == {"hidden": 500, "lr": 0.002}
    assert not tuned.stopped_at_bound and tuned.at_bound == {}
    assert len(calls) == 3 and all(c["hidden"] == 500 and c["seed"] == 0 for c in calls)
    assert list(tuned.table.lr)[0] == 0.002 and len(tuned.table) == 3
    assert (tuned.table.hidden == 500).all()
    assert "interior" in tuned.describe()


def test_tune_extends_past_the_upper_edge_until_interior():
    tuned = protocol.tune(bowl(0.03), {"lr": [0.001, 0.002]})
    tried = sorted(tuned.table.lr)
    assert tuned.config["lr"] == pytest.approx(0.032)   # 0.001 * 2**5
    assert tried[-1] > tuned.config["lr"]                # one value past the winner
    assert not tuned.stopped_at_bound


def test_tune_extends_past_the_lower_edge():
    tuned = protocol.tune(bowl(1e-4), {"lr": [0.001, 0.002, 0.004]})
    assert tuned.config["lr"] == pytest.approx(0.000125)
    assert min(tuned.table.lr) < tuned.config["lr"]


def test_tune_stops_at_a_stated_bound_and_says_so():
    tuned = protocol.tune(bowl(0.5), {"lr": [0.01, 0.02]}, bounds={"lr": (1e-4, 0.05)})
    assert tuned.config["lr"] == pytest.approx(0.05)
    assert tuned.at_bound == {"lr": "upper"} and tuned.stopped_at_bound
    assert "upper bound" in tuned.describe()


def test_tune_two_axes_and_integer_axis():
    tuned = protocol.tune(bowl(0.002, best_k=40), {"lr": [0.001, 0.002, 0.004], "k": [10, 20]})
    assert tuned.config["lr"] == 0.002 and tuned.config["k"] == 40
    assert all(isinstance(k, (int, np.integer)) for k in tuned.table.k)
    assert 80 in set(tuned.table.k) and not tuned.stopped_at_bound


def test_cached_shares_runs():
    calls = []
    train = protocol.cached(lambda seed, lr: calls.append((seed, lr)) or {"valid_rmse": lr})
    train(seed=0, lr=0.1)
    train(seed=0, lr=0.1)
    train(seed=1, lr=0.1)
    assert calls == [(0, 0.1), (1, 0.1)] and len(train.cache) == 2


def test_at_cap():
    assert protocol.at_cap(50, 50) and protocol.at_cap(48, 50, margin=4)
    assert not protocol.at_cap(44, 50, margin=4) and protocol.at_cap(None, 50)


def test_budget_note():
    runs = pd.DataFrame({"at_cap": [False, True], "cap": [120, 240]})
    assert protocol.budget_note(runs) == "under a budget of 240 epochs"
    assert protocol.budget_note(runs.iloc[:1]) == ""


def test_paired_difference_matches_a_hand_computed_t_interval():
    a = np.array([0.90, 0.91, 0.905, 0.902, 0.908])
    b = a - np.array([0.010, 0.012, 0.008, 0.011, 0.009])
    diff = protocol.paired_difference(a, b)
    d = a - b
    half = stats.t.ppf(0.975, 4) * d.std(ddof=1) / np.sqrt(5)
    assert diff.n == 5 and diff.mean == pytest.approx(d.mean())
    assert (diff.low, diff.high) == pytest.approx((d.mean() - half, d.mean() + half))
    assert diff.excludes_zero and diff.verdict("better", "worse") == "worse"
    assert "n = 5" in str(diff)


def test_paired_difference_pairs_by_index_and_gives_no_verdict_when_zero_is_inside():
    a = pd.Series([1.0, 2.0, 3.0], index=[2, 0, 1])
    b = pd.Series([2.1, 2.9, 1.2], index=[0, 1, 2])   # same seeds, another order
    diff = protocol.paired_difference(a, b)
    assert diff.mean == pytest.approx(np.mean([1.0 - 1.2, 2.0 - 2.1, 3.0 - 2.9]))
    assert diff.verdict() is None and not diff.excludes_zero
    with pytest.raises(ValueError):
        protocol.paired_difference(a, pd.Series([1.0, 2.0, 3.0], index=[0, 1, 5]))


def test_paired_beats_unpaired_when_seeds_share_noise():
    rng = np.random.default_rng(0)
    seed_noise = rng.normal(0, 0.01, 5)
    a, b = 0.90 + seed_noise, 0.902 + seed_noise + rng.normal(0, 0.0002, 5)
    assert protocol.paired_difference(a, b).verdict() == "lower"


def test_compare_against_a_baseline():
    runs = pd.DataFrame({"arch": ["one"] * 5 + ["two"] * 5 + ["three"] * 5,
                         "seed": list(range(5)) * 3,
                         "test_rmse": [0.89, 0.891, 0.889, 0.892, 0.890,
                                       0.90, 0.901, 0.899, 0.902, 0.901,
                                       0.89, 0.892, 0.888, 0.891, 0.891]})
    table = protocol.compare(runs, "arch", "one")
    assert list(table.index) == ["two", "three"]
    assert table.loc["two", "verdict"] == "higher" and table.loc["three", "verdict"] == ""
    assert (table.n == 5).all()


def test_split_check_pairs_by_split():
    def train(seed, offset):
        return {"test_rmse": 0.9 + 0.004 * seed + offset}
    diff, runs = protocol.split_check(train, {"offset": 0.01}, {"offset": 0.0})
    assert diff.n == 5 and diff.mean == pytest.approx(0.01) and diff.verdict() == "higher"
    assert set(runs.split) == set(protocol.SPLIT_SEEDS)


def test_reference_is_the_books_model_with_a_tuned_lr():
    ref = protocol.REFERENCE
    assert isinstance(ref, protocol.AutoRecConfig), type(ref)
    assert (ref.num_hidden, ref.dropout, ref.batch_size) == (500, 0.05, 256), ref
    book = protocol.AutoRecConfig()
    assert dataclasses.replace(book, lr=ref.lr) == ref, (book, ref)  # only lr differs
    assert len(protocol.SEEDS) >= 5, protocol.SEEDS


def test_config_keeps_the_old_dict_idioms_working():
    """Notebooks not yet migrated use the dict REFERENCE was; compatibility."""
    ref = protocol.REFERENCE
    old = dict(hidden=500, lr=0.001, wd=1e-5, dropout=0.05, batch_size=256,
               num_epochs=120, eval_every=4, patience=2)
    assert dict(ref) == old and {**ref} == old, dict(ref)
    assert ref["hidden"] == ref["num_hidden"] == 500
    assert dict(ref.items()) == old
    assert {**ref, "lr": 0.002} != ref and {**ref} == ref and ref == {**ref}
    assert hash(ref) == hash(dataclasses.replace(ref))
    with pytest.raises(KeyError):
        ref["learning_rate"]
    with pytest.raises(TypeError, match="not both"):
        ref.updated(hidden=10, num_hidden=20)
    with pytest.raises(TypeError, match="no field"):
        ref.updated(hiden=10)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ref.lr = 0.1


def test_recorded_reads_the_run_folder_first_then_fails_clearly(tmp_path, monkeypatch):
    entry = {"value": 0.889, "std": 0.001, "n": 5, "label": "x", "digits": 3}
    (tmp_path / "05_hidden_size.json").write_text(
        json.dumps({"reference_test_rmse": entry}))
    assert protocol.reference_result(tmp_path)["value"] == 0.889
    monkeypatch.setenv("AUTOREC_RESULTS", str(tmp_path))
    assert protocol.recorded("05_hidden_size", "reference_test_rmse")["value"] == 0.889
    with pytest.raises(LookupError, match="run notebooks/05_hidden_size.ipynb"):
        protocol.recorded("05_hidden_size", "no_such_key", folder=tmp_path)
    with pytest.raises(LookupError, match="99_none"):
        protocol.recorded("99_none", "x", folder=tmp_path)


def test_recorded_is_not_read_beside_site_packages(tmp_path, monkeypatch):
    """Pip-installed (no checkout): only the run's folder is searched."""
    from autorec_common import data
    monkeypatch.setattr(data, "in_checkout", lambda: None)
    monkeypatch.setenv("AUTOREC_RESULTS", str(tmp_path))
    assert protocol._results_folders() == [tmp_path]
    with pytest.raises(LookupError):
        protocol.reference_result()


def test_recorded_difference_recomputes_the_interval_from_the_values(tmp_path):
    values = [0.010, 0.012, 0.008, 0.011, 0.009]
    entry = {"value": float(np.mean(values)), "std": float(np.std(values, ddof=1)),
             "n": 5, "label": "x", "digits": 3, "values": values, "by": "seed"}
    (tmp_path / "07_activations.json").write_text(json.dumps({"gap": entry}))
    diff = protocol.recorded_difference("07_activations", "gap", folder=tmp_path)
    same = protocol.paired_difference(np.array(values), np.zeros(5))
    assert (diff.mean, diff.low, diff.high) == pytest.approx((same.mean, same.low, same.high))


def test_check_close_says_what_failed():
    protocol.check_close(0.8893, 0.8890, 1e-3, "reference RMSE")
    with pytest.raises(AssertionError, match=r"reference RMSE: 0.9 is not within 0.001 of 0.889"):
        protocol.check_close(0.9, 0.889, 1e-3, "reference RMSE")


# Where a notebook reruns the reference on its seeds, it records the same number.
REFERENCE_REUSED = [("06_depth", "test_rmse_1_layer"), ("07_activations", "book_pair_test_rmse"),
                    ("10_autorec_vs_mf", "i_autorec_random")]


@pytest.mark.parametrize("stem, key", REFERENCE_REUSED)
def test_notebooks_record_the_one_reference_number(stem, key):
    committed = in_checkout() / "results"
    reference = protocol.reference_result(committed)
    entry = protocol.recorded(stem, key, committed)
    assert entry["n"] == reference["n"] == len(protocol.SEEDS), (entry, reference)
    assert entry["value"] == pytest.approx(reference["value"], abs=1e-4), (stem, key)


class _Mats:
    def __init__(self, seed=0):
        rng = np.random.default_rng(seed)
        full = rng.integers(1, 6, size=(40, 12)).astype(np.float32)
        mask = rng.random(full.shape)
        self.train = np.where(mask < 0.6, full, 0).astype(np.float32)
        self.valid = np.where((mask >= 0.6) & (mask < 0.8), full, 0).astype(np.float32)
        self.test = np.where(mask >= 0.8, full, 0).astype(np.float32)


def test_fit_raises_the_cap_when_the_best_epoch_is_at_it():
    pytest.importorskip("torch")
    mats = _Mats()
    config = protocol.AutoRecConfig(num_hidden=8, lr=1e-4, num_epochs=4, eval_every=1,
                                    patience=2, max_epochs=16, batch_size=8)
    out = protocol.fit(mats, 0, config)
    assert out["cap"] > 4, out                  # still improving at 4 epochs: cap raised
    assert set(out) >= {"valid_rmse", "train_rmse", "test_rmse", "epochs", "cap", "at_cap",
                        "n_train", "n_test"}, set(out)
    assert out["n_train"] == np.count_nonzero(mats.train), out
    assert out["at_cap"] == protocol.at_cap(out["epochs"], out["cap"], 2), out
    again = protocol.fit(mats, 0, config)
    assert again["valid_rmse"] == out["valid_rmse"], (again, out)  # same seed, same numbers
    # The old keyword form (pr.fit(mats, seed, **pr.REFERENCE), hidden=) gives the same run.
    old = protocol.fit(mats, seed=0, hidden=8, lr=1e-4, num_epochs=4, eval_every=1,
                       patience=2, max_epochs=16, batch_size=8)
    assert old["valid_rmse"] == out["valid_rmse"], (old, out)


# lr 0.03, every 2 epochs: stops at cap 8, still patient; lr 0.01: stops by
# patience between caps.
@pytest.mark.parametrize("lr, eval_every", [(0.03, 2), (0.01, 2)])
def test_fit_equals_restarting_with_the_cap_doubled(lr, eval_every):
    """``fit`` gives, bit for bit, the run of its rule: restart from scratch with
    the cap doubled while the kept epoch is within patience * eval_every of it."""
    art = pytest.importorskip("autorec_common.torch")
    from autorec_common.metrics import masked_rmse
    mats, settings = _Mats(), dict(batch_size=8, lr=lr, wd=1e-5, seed=0, patience=2,
                                   eval_every=eval_every, progress=False)
    for cap in (2, 4, 8, 16):
        art.seed_everything(0)
        net = art.AutoRec(8, mats.train.shape[1], 0.05)
        hist = art.train_autorec(net, mats.train, {"valid": mats.valid}, num_epochs=cap,
                                 **settings)
        if not protocol.at_cap(hist.best_epoch, cap, 2 * eval_every):
            break
    config = protocol.AutoRecConfig(num_hidden=8, lr=lr, num_epochs=2,
                                    eval_every=eval_every, patience=2, max_epochs=16,
                                    batch_size=8)
    out = protocol.fit(mats, 0, config)
    assert cap > 2 and out["cap"] == cap and out["epochs"] == hist.best_epoch, (cap, out)
    assert out["valid_rmse"] == hist.final("valid"), out
    assert out["test_rmse"] == masked_rmse(art.predict(net, mats.train), mats.test), out


def test_fit_refuses_a_cap_that_is_not_an_evaluation_epoch():
    pytest.importorskip("torch")
    config = protocol.AutoRecConfig(num_hidden=8, num_epochs=50, eval_every=4)
    with pytest.raises(ValueError, match="not a multiple of eval_every=4"):
        protocol.fit(_Mats(), 0, config)
    # A fixed budget (no cap to raise) may end between evaluations: evaluated last.
    assert protocol.epoch_caps(dataclasses.replace(config, max_epochs=50)) == [50]
    assert protocol.epoch_caps(dataclasses.replace(config, num_epochs=120)) == [120, 240, 480]
    assert protocol.epoch_caps(dataclasses.replace(config, num_epochs=120,
                                                   max_epochs=300)) == [120, 240, 300]


def _curve_trainer(best_epoch, monkeypatch):
    """Replace ``train_autorec`` by a run whose validation RMSE falls until
    ``best_epoch`` and then stays flat, stopped as the real loop stops it."""
    art = pytest.importorskip("autorec_common.torch")
    from autorec_common.training import EpochEnd
    last = {}

    def fake(net, train_mat, eval_mats, *, num_epochs, eval_every, patience, stop_at,
             **_):
        end = EpochEnd(eval_mats, num_epochs, eval_every, patience, snapshot=dict,
                       bar=type("Bar", (), {"set_postfix": lambda *a: None})(),
                       stop_at=stop_at)
        recon = np.zeros_like(train_mat)
        for epoch in range(1, num_epochs + 1):
            recon = np.full_like(train_mat, 3.0 + min(epoch, best_epoch) / 1000)
            if end(epoch, 0.0, 0.0, lambda r=recon: r):
                break
        last["epoch"] = epoch
        return end.finish(lambda state: None)

    monkeypatch.setattr(art, "train_autorec", fake)
    return last


def test_fit_goes_on_when_the_cap_cut_patience_short(monkeypatch):
    """Patience 2 at every 4 epochs spans 8 epochs: a best epoch at 116 of 120
    would have been stopped by patience at 124, so the cap cut it: go on."""
    mats = _Mats()
    mats.valid = np.where(mats.valid > 0, 5.0, 0.0).astype(np.float32)  # RMSE falls
    last = _curve_trainer(116, monkeypatch)
    out = protocol.fit(mats, 0, protocol.REFERENCE.updated(num_hidden=4))
    assert out["epochs"] == 116 and last["epoch"] == 124, (out, last)
    assert out["cap"] == 240 and not out["at_cap"], out
    last = _curve_trainer(112, monkeypatch)  # stopped by patience at the cap itself
    out = protocol.fit(mats, 0, protocol.REFERENCE.updated(num_hidden=4))
    assert (out["epochs"], last["epoch"], out["cap"]) == (112, 120, 120), (out, last)
    assert not out["at_cap"], out


def test_corrected_resampled_interval_by_hand():
    """Nadeau and Bengio (2003): variance sd**2 * (1/n + n_test/n_train).
    d = 0.01..0.05: mean 0.03, sd**2 = 0.001/4 = 0.00025; with ratio 0.25 the
    half-width is t(0.975, 4) * sqrt(0.00025 * (1/5 + 0.25))
    = 2.7764451 * 0.0106066 = 0.0294486, 1.5 times the plain 0.0196324."""
    d = np.array([0.01, 0.02, 0.03, 0.04, 0.05])
    plain = protocol.paired_difference(d, 0.0)
    corrected = protocol.paired_difference(d, np.zeros(5), test_train_ratio=0.25)
    assert (plain.low, plain.high) == pytest.approx((0.03 - 0.0196324, 0.03 + 0.0196324),
                                                    abs=1e-7), plain
    assert (corrected.low, corrected.high) == pytest.approx(
        (0.03 - 0.0294486, 0.03 + 0.0294486), abs=1e-7), corrected
    assert corrected.corrected and not plain.corrected
    assert "95% corrected resampled t-interval, n = 5" in str(corrected), str(corrected)
    assert "95% t-interval, n = 5" in str(plain), str(plain)
    with pytest.raises(ValueError, match="test_train_ratio"):
        protocol.paired_difference(d, 0.0, test_train_ratio=0)


def test_split_check_corrects_for_overlapping_splits():
    def train(seed, offset, n_test=10_000):
        out = {"test_rmse": 0.9 + 0.004 * seed + offset + 0.001 * (seed % 2) * offset}
        return {**out, "n_test": n_test, "n_train": 81_000} if n_test else out
    diff, _ = protocol.split_check(train, {"offset": 0.01}, {"offset": 0.0})
    assert diff.test_train_ratio == pytest.approx(10_000 / 81_000), diff
    plain, _ = protocol.split_check(train, {"offset": 0.01}, {"offset": 0.0},
                                    test_train_ratio=None)
    wider = (diff.high - diff.low) / (plain.high - plain.low)
    assert wider == pytest.approx(math.sqrt((0.2 + 10 / 81) / 0.2)), wider
    # Without counts: the protocol's random split, or the release's folds.
    diff, _ = protocol.split_check(train, {"offset": 0.01, "n_test": 0}, {"offset": 0.0,
                                                                          "n_test": 0})
    assert diff.test_train_ratio == pytest.approx(protocol.RANDOM_TEST_TRAIN), diff
    folds = ["u1", "u2", "u3", "u4", "u5"]
    diff, _ = protocol.split_check(lambda seed, offset: {"test_rmse": 0.9 + offset
                                                         + 0.001 * int(seed[1])},
                                   {"offset": 0.01}, {"offset": 0.0}, splits=folds)
    assert diff.test_train_ratio == 0.25 and diff.test.startswith("corrected"), diff


def test_difference_describe_reads_as_the_notebooks_said():
    diff = protocol.Difference(0.0123, 0.0045, 0.0201, 5, 0.006)
    assert diff.describe() == "+0.0123 [+0.0045, +0.0201], worse"
    assert diff.describe("U-AutoRec better", "I-AutoRec better") == \
        "+0.0123 [+0.0045, +0.0201], I-AutoRec better"
    unsure = protocol.Difference(-0.0012, -0.0101, 0.0077, 5, 0.007)
    assert unsure.describe(digits=3) == \
        "-0.001 [-0.010, +0.008], no verdict: the interval contains 0"
    assert unsure.as_text() == "-0.0012 [-0.0101, +0.0077]"
    assert protocol.Difference(-0.02, -0.03, -0.01, 5, 0.01).describe() == \
        "-0.0200 [-0.0300, -0.0100], better"
    assert diff.row("better", "worse") == {"difference": 0.0123,
                                           "95% interval": "[+0.0045, +0.0201]",
                                           "n": 5, "verdict": "worse"}
    assert unsure.row()["verdict"] == ""


def test_difference_pairs_rows_of_a_run_table_and_compare_keeps_them():
    runs = pd.DataFrame({"arch": ["one"] * 3 + ["two"] * 3, "seed": [0, 1, 2, 2, 1, 0],
                         "test_rmse": [0.90, 0.91, 0.92, 0.93, 0.92, 0.91]})
    diff = protocol.difference(runs, "arch", "two", "one")
    assert diff.mean == pytest.approx(0.01) and diff.n == 3, diff
    table = protocol.compare(runs, "arch", "one", lower="better", higher="worse")
    assert table.loc["two", "verdict"] == "worse", table
    assert table.attrs["differences"]["two"].mean == pytest.approx(0.01)
    with pytest.raises(ValueError, match="no run has arch == 'three'"):
        protocol.difference(runs, "arch", "three", "one")
    constant = protocol.paired_difference(runs[runs.arch == "one"].set_index("seed")
                                          .test_rmse, 0.85)
    assert constant.mean == pytest.approx(0.06) and constant.n == 3, constant
