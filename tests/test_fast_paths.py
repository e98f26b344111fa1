"""The fast paths of the training loops give the same numbers as the plain ones:
masked RMSE scored on precomputed observed entries, the matrix shared with the
caller instead of copied, fused Adam."""

import numpy as np
import pytest

import autorec_common as ac
from autorec_common.training import MaskedScorer


def test_masked_scorer_equals_masked_rmse_exactly(rating_matrix):
    rng = np.random.default_rng(1)
    evals = {"valid": rating_matrix(seed=2), "test": rating_matrix(seed=3)}
    recon = (3 + rng.normal(size=(50, 30))).astype(np.float32)
    scores = MaskedScorer(evals)(recon)
    assert list(scores) == ["valid", "test"]
    for name, mat in evals.items():
        assert scores[name] == ac.masked_rmse(recon, mat)  # bit for bit


def test_masked_scorer_checks_shape_and_empty_matrices(rating_matrix):
    scorer = MaskedScorer({"test": rating_matrix()})
    with pytest.raises(ValueError, match="shapes differ"):
        scorer(np.zeros((30, 50), dtype=np.float32))
    with pytest.raises(ValueError, match="no observed entries"):
        MaskedScorer({"test": np.zeros((3, 3))})
    assert MaskedScorer({})(np.zeros((2, 2))) == {}


def test_torch_train_matrix_is_shared_and_predict_does_not_copy(rating_matrix):
    torch = pytest.importorskip("torch")
    from autorec_common import torch as art

    mat = rating_matrix()
    assert torch.as_tensor(np.asarray(mat, dtype=np.float32)).data_ptr() == mat.ctypes.data
    net = torch.nn.Linear(30, 30)
    full = art.predict(net, mat)
    chunked = art.predict(net, mat, batch_size=7)
    np.testing.assert_allclose(full, chunked, rtol=1e-6, atol=1e-6)
    assert full.shape == mat.shape and full.dtype == np.float32


def test_torch_fused_adam_matches_the_default_update():
    torch = pytest.importorskip("torch")
    from autorec_common import torch as art

    torch.manual_seed(0)
    nets = [torch.nn.Linear(20, 10) for _ in range(2)]
    nets[1].load_state_dict(nets[0].state_dict())
    opts = [art.adam(nets[0].parameters(), lr=0.01, weight_decay=1e-3),
            torch.optim.Adam(nets[1].parameters(), lr=0.01, weight_decay=1e-3)]
    x = torch.randn(16, 20)
    for _ in range(5):
        for net, opt in zip(nets, opts):
            opt.zero_grad()
            net(x).pow(2).mean().backward()
            opt.step()
    for a, b in zip(nets[0].parameters(), nets[1].parameters()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_mxnet_on_device_shares_the_callers_matrix(rating_matrix):
    pytest.importorskip("autorec_common.mxnet")
    import mxnet as mx

    from autorec_common import mxnet as arm

    mat = rating_matrix()
    x = arm.on_device(mat, mx.cpu())
    assert x.shape == mat.shape and mat.flags.writeable  # the caller's array stays writable
    before = float(x.sum())
    mat[0, 0] += 10  # the MXNet array sees the caller's memory: no copy was made
    assert float(x.sum()) == pytest.approx(before + 10)
    other = arm.on_device(mat.astype(np.float64), mx.cpu())  # converted once, then shared
    assert other.dtype == np.float32 and float(other.sum()) == pytest.approx(float(mat.sum()))


def test_mxnet_physical_cores():
    from autorec_common import mxnet_cpu

    cores = mxnet_cpu.physical_cores()
    assert cores is None or 1 <= cores <= __import__("os").cpu_count()


def test_torch_l2_loss_is_half_the_mean_squared_error(rating_matrix):
    torch = pytest.importorskip("torch")
    from autorec_common import torch as art

    pred = torch.tensor(rating_matrix(seed=1), requires_grad=True)
    target = torch.tensor(rating_matrix(seed=2))
    loss = art.l2_loss(pred, target)
    loss.backward()
    diff = pred.detach().double() - target.double()
    assert loss.item() == pytest.approx(0.5 * float((diff ** 2).mean()), rel=1e-6)
    np.testing.assert_allclose(pred.grad.numpy(), (diff / diff.numel()).numpy(), rtol=1e-5,
                               atol=1e-9)


def _fresh_python(code, engine=None, tuning=None):
    """Standard output of ``code`` run in a fresh interpreter, with
    MXNET_ENGINE_TYPE set to ``engine`` and MXNET_USE_OPERATOR_TUNING to
    ``tuning`` (each left unset when ``None``)."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items()
           if k not in ("MXNET_ENGINE_TYPE", "MXNET_USE_OPERATOR_TUNING")}
    if engine:
        env["MXNET_ENGINE_TYPE"] = engine
    if tuning is not None:
        env["MXNET_USE_OPERATOR_TUNING"] = tuning
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=120, check=True)
    return out.stdout


SETTINGS = ("import os; print(*(os.environ.get(v) for v in ('MXNET_ENGINE_TYPE', "
            "'MXNET_USE_OPERATOR_TUNING', 'MXNET_OMP_MAX_THREADS')), "
            "arm.mx.nd.ones(2).sum().asscalar())")


@pytest.mark.slow
def test_importing_the_mxnet_adapter_leaves_mxnets_runtime_alone():
    pytest.importorskip("autorec_common.mxnet")
    code = ("import os; os.environ.pop('OMP_NUM_THREADS', None); "
            "os.environ.pop('MXNET_OMP_MAX_THREADS', None); "
            "from autorec_common import mxnet as arm; from mxnet import gluon; "
            "print(getattr(gluon.data.DataLoader.__init__, '_autorec_patched', False)); "
            + SETTINGS)
    assert _fresh_python(code).split() == ["False", "None", "None", "None", "2.0"]


@pytest.mark.slow
def test_fast_cpu_settings_choose_tuning_and_threads_unless_set_and_keep_the_engine():
    pytest.importorskip("autorec_common.mxnet")
    from autorec_common import mxnet_cpu

    code = ("import os; os.environ.pop('OMP_NUM_THREADS', None); "
            "os.environ.pop('MXNET_OMP_MAX_THREADS', None); "
            "from autorec_common.mxnet_cpu import use_fast_cpu_settings; "
            "applied = use_fast_cpu_settings(); "
            "from autorec_common import mxnet as arm; "
            "print(applied['MXNET_ENGINE_TYPE'] == os.environ.get('MXNET_ENGINE_TYPE')); "
            + SETTINGS)
    cores = str(mxnet_cpu.physical_cores())
    assert _fresh_python(code).split() == ["True", "None", "0", cores, "2.0"]
    code = ("import os; os.environ['MXNET_OMP_MAX_THREADS'] = '1'; "
            "from autorec_common.mxnet_cpu import use_fast_cpu_settings; "
            "use_fast_cpu_settings(); from autorec_common import mxnet as arm; " + SETTINGS)
    assert _fresh_python(code, "ThreadedEnginePerDevice", "1").split() == [
        "ThreadedEnginePerDevice", "1", "1", "2.0"]


@pytest.mark.slow
def test_fast_cpu_settings_refuse_to_run_after_mxnet_is_imported():
    pytest.importorskip("autorec_common.mxnet")
    code = ("import autorec_common.mxnet\nfrom autorec_common.mxnet_cpu import use_fast_cpu_settings\n"
            "try:\n    use_fast_cpu_settings()\nexcept RuntimeError as e:\n"
            "    print('before MXNet is imported' in str(e))\n")
    assert _fresh_python(code).split() == ["True"]


@pytest.mark.slow
def test_fast_cpu_settings_start_mxnet_quietly():
    pytest.importorskip("autorec_common.mxnet")
    import subprocess
    import sys

    code = ("from autorec_common.mxnet_cpu import use_fast_cpu_settings; "
            "use_fast_cpu_settings(); import mxnet; mxnet.nd.ones(2).wait_to_read()")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    assert "engine" not in out.stderr


@pytest.mark.slow
def test_mxnet_training_gives_the_same_numbers_with_any_engine_and_tuning():
    """The engine changes when operators run, and operator tuning on how many
    threads; neither changes what they compute."""
    pytest.importorskip("autorec_common.mxnet")
    code = """
import numpy as np
from autorec_common import mxnet as arm
from mxnet import gluon, init
rng = np.random.default_rng(0)
mat = (rng.integers(1, 6, (600, 300)) * (rng.random((600, 300)) < 0.3)).astype(np.float32)
net = gluon.nn.Sequential()
net.add(gluon.nn.Dense(64, activation="sigmoid"), gluon.nn.Dropout(0.1), gluon.nn.Dense(300))
arm.seed_everything(0)
net.initialize(init.Normal(0.01))
hist = arm.train_autorec(net, mat, mat, num_epochs=3, batch_size=32, seed=0, progress=False)
print(repr(hist.final("test")))
"""
    results = {_fresh_python(code, engine, tuning).strip()
               for engine, tuning in (("NaiveEngine", None), ("ThreadedEnginePerDevice", "0"),
                                      ("NaiveEngine", "1"))}
    assert len(results) == 1, results


@pytest.mark.slow
def test_mxnet_dataloader_workers_become_threads_under_the_naive_engine():
    """Worker processes never answer under MXNet's NaiveEngine; where a reader
    chose it, the fast CPU settings switch a DataLoader with workers to threads
    (with a warning) instead."""
    pytest.importorskip("autorec_common.mxnet")
    code = """
import warnings
from autorec_common.mxnet_cpu import use_fast_cpu_settings
use_fast_cpu_settings()
from autorec_common import mxnet as arm
from mxnet import gluon, np
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    loader = gluon.data.DataLoader(np.ones((40, 3)), batch_size=8, num_workers=2, timeout=20)
print(sum(float(b.sum()) for b in loader), len(caught))
"""
    assert _fresh_python(code, "NaiveEngine").split() == ["120.0", "1"]


def test_masked_scorer_finds_the_same_entries_as_flatnonzero(rating_matrix):
    """The scorer finds observed entries with ``flat != 0``: the same set as
    ``np.flatnonzero(flat)``, -0.0 and NaN included."""
    mat = rating_matrix(seed=4)
    mat[0, :4] = [-0.0, np.nan, 0.5, -2.0]
    where, _ = MaskedScorer({"test": mat}).targets["test"]
    np.testing.assert_array_equal(where, np.flatnonzero(mat))


def test_mxnet_l2_loss_has_gluons_gradients_bit_for_bit(rating_matrix):
    """``arm.L2Loss`` (the training loop's default) gives exactly the gradients
    of the book's ``gluon.loss.L2Loss()``, and its values to float32 rounding."""
    pytest.importorskip("autorec_common.mxnet")
    from autorec_common import mxnet as arm
    from mxnet import autograd, gluon, np as mnp

    rng = np.random.default_rng(6)
    for rows, cols in ((256, 943), (146, 943), (7, 40), (1, 1)):
        label = mnp.array(rating_matrix(rows, cols, 0.3, seed=rows))
        pred_np = rng.normal(3, 1, (rows, cols)).astype(np.float32)
        losses, grads = [], []
        for loss_fn in (gluon.loss.L2Loss(), arm.L2Loss()):
            pred = mnp.array(pred_np)
            pred.attach_grad()
            with autograd.record():
                loss = loss_fn(pred, label)
            loss.backward()
            losses.append(loss.asnumpy())
            grads.append(pred.grad.asnumpy())
        np.testing.assert_array_equal(grads[1], grads[0])
        np.testing.assert_allclose(losses[1], losses[0], rtol=2e-6)
    with pytest.raises(ValueError, match="batch, features"):
        arm.L2Loss()(mnp.ones((2, 3, 4)), mnp.ones((2, 3, 4)))


def test_mxnet_training_with_the_fast_loss_matches_gluons_loss(rating_matrix):
    """Whole runs (dropout on, a partial last batch) with ``arm.L2Loss`` and
    with Gluon's: the same weights and RMSEs bit for bit; training losses to
    float32 rounding."""
    pytest.importorskip("autorec_common.mxnet")
    from autorec_common import mxnet as arm
    from mxnet import gluon

    mat = rating_matrix(rows=120, cols=40, density=0.3, seed=5)
    runs = []
    for loss in (gluon.loss.L2Loss(), arm.L2Loss()):
        arm.seed_everything(0)
        net = arm.AutoRec(16, 40, 0.1)
        net.initialize(arm.mx.init.Normal(0.01), ctx=arm.mx.cpu())
        hist = arm.train_autorec(net, mat, mat, num_epochs=3, batch_size=32, seed=0, loss=loss,
                                 ctx=arm.mx.cpu(), progress=False)
        runs.append((hist, [p.data().asnumpy() for p in net.collect_params().values()]))
    (gluon_hist, gluon_w), (fast_hist, fast_w) = runs
    assert [r["test_rmse"] for r in fast_hist.rows] == [r["test_rmse"] for r in gluon_hist.rows]
    np.testing.assert_allclose([r["train_loss"] for r in fast_hist.rows],
                               [r["train_loss"] for r in gluon_hist.rows], rtol=1e-6)
    for a, b in zip(fast_w, gluon_w):
        np.testing.assert_array_equal(a, b)
