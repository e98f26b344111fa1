"""The fast paths of the training loops give the same numbers as the plain ones:
masked RMSE scored on precomputed observed entries, the matrix shared with the
caller instead of copied, fused Adam."""

import numpy as np
import pytest

import autorec_common as ac
from autorec_common.training import MaskedScorer


def ratings(rows=50, cols=30, density=0.2, seed=0):
    rng = np.random.default_rng(seed)
    mat = rng.integers(1, 6, size=(rows, cols)).astype(np.float32)
    return mat * (rng.random((rows, cols)) < density)


def test_masked_scorer_equals_masked_rmse_exactly():
    rng = np.random.default_rng(1)
    evals = {"valid": ratings(seed=2), "test": ratings(seed=3)}
    recon = (3 + rng.normal(size=(50, 30))).astype(np.float32)
    scores = MaskedScorer(evals)(recon)
    assert list(scores) == ["valid", "test"]
    for name, mat in evals.items():
        assert scores[name] == ac.masked_rmse(recon, mat)  # bit for bit


def test_masked_scorer_checks_shape_and_empty_matrices():
    scorer = MaskedScorer({"test": ratings()})
    with pytest.raises(ValueError, match="shapes differ"):
        scorer(np.zeros((30, 50), dtype=np.float32))
    with pytest.raises(ValueError, match="no observed entries"):
        MaskedScorer({"test": np.zeros((3, 3))})
    assert MaskedScorer({})(np.zeros((2, 2))) == {}


def test_torch_train_matrix_is_shared_and_predict_does_not_copy():
    torch = pytest.importorskip("torch")
    from autorec_common import torch as art

    mat = ratings()
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


def test_mxnet_on_device_shares_the_callers_matrix():
    pytest.importorskip("mxnet")
    import mxnet as mx

    from autorec_common import mxnet as arm

    mat = ratings()
    x = arm.on_device(mat, mx.cpu())
    assert x.shape == mat.shape and mat.flags.writeable  # the caller's array stays writable
    before = float(x.sum())
    mat[0, 0] += 10  # the MXNet array sees the caller's memory: no copy was made
    assert float(x.sum()) == pytest.approx(before + 10)
    other = arm.on_device(mat.astype(np.float64), mx.cpu())  # converted once, then shared
    assert other.dtype == np.float32 and float(other.sum()) == pytest.approx(float(mat.sum()))


def test_mxnet_physical_cores():
    pytest.importorskip("mxnet")
    from autorec_common import mxnet as arm

    cores = arm.physical_cores()
    assert cores is None or 1 <= cores <= __import__("os").cpu_count()
