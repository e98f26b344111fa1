"""MXNet 1.9.1 and d2l 1.0.3 on the project's NumPy: the names the shim restores,
MXNet's import without warnings, and the book's own training loop."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as onp
import pytest

from autorec_common import _numpy_compat as compat


def test_restore_defines_every_listed_name_and_is_idempotent():
    compat.restore()
    assert all(name in vars(onp) for name in compat.REMOVED_NAMES)
    assert compat.restore() == []


def test_restore_keeps_what_numpy_still_defines():
    # NumPy 2 has numpy.bool again (as numpy.bool_): it must not become Python's bool.
    before = {name: vars(onp)[name] for name in compat.REMOVED_NAMES if name in vars(onp)}
    compat.restore()
    assert all(vars(onp)[name] is value for name, value in before.items())


def test_restore_is_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compat.restore()


def test_restored_functions_match_their_replacements():
    compat.restore()
    a = onp.array([[3.0, 1.0], [2.0, 5.0], [1.0, 4.0]])
    assert onp.array_equal(onp.msort(a), onp.sort(a, axis=0))
    assert onp.array_equal(onp.in1d(a, [1.0, 5.0]), onp.isin(a.ravel(), [1.0, 5.0]))
    assert onp.trapz([1.0, 2.0, 3.0], dx=0.5) == pytest.approx(2.0)
    assert onp.alltrue([True, True]) and not onp.sometrue([False, False])
    assert onp.product([2, 3, 4]) == 24


def test_financial_stubs_say_what_to_use():
    compat.restore()
    if compat.REMOVED_NAMES["npv"] is not vars(onp)["npv"]:
        pytest.skip("this NumPy still has its own numpy.npv")
    with pytest.raises(NotImplementedError, match="numpy_financial.npv"):
        onp.npv(0.1, [1.0, 2.0])


@pytest.mark.slow
def test_mxnet_imports_without_a_warning():
    pytest.importorskip("autorec_common.mxnet")
    code = ("import warnings; warnings.simplefilter('error', FutureWarning); "
            "warnings.simplefilter('error', UserWarning); "
            "import autorec_common.mxnet, mxnet, scipy.sparse; print(mxnet.__version__)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "1.9.1"
    assert "Warning" not in run.stderr


def test_the_books_loop_runs_on_this_stack(capsys):
    """d2l 1.0.3 is installed without its pins: its MXNet loop must run here."""
    arm = pytest.importorskip("autorec_common.mxnet")
    d2l = pytest.importorskip("d2l.mxnet")
    import mxnet as mx
    from mxnet import gluon

    rng = onp.random.default_rng(0)
    train = (rng.random((40, 12)) < 0.3) * rng.integers(1, 6, (40, 12))
    test = (rng.random((40, 12)) < 0.1) * rng.integers(1, 6, (40, 12))
    arm.seed_everything(0)
    net = arm.AutoRec(8, 12)
    net.initialize(mx.init.Normal(0.01), ctx=mx.cpu())
    train_iter = gluon.data.DataLoader(train.astype("float32"), batch_size=16, shuffle=True,
                                       last_batch="rollover")
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.01, "wd": 1e-5})
    # As in the book: the training matrix goes in as "test_iter", the test matrix is scored.
    d2l.train_recsys_rating(net, train_iter, train.astype("float32"), gluon.loss.L2Loss(),
                            trainer, 2, [mx.cpu()], arm.evaluator,
                            inter_mat=test.astype("float32"))
    printed = capsys.readouterr().out
    assert "test RMSE" in printed and "examples/sec" in printed
