import numpy as np
import pytest

from autorec_common import masked_mae, masked_rmse


def test_masked_rmse_by_hand():
    target = np.array([[5, 0, 3], [0, 0, 1]], dtype=np.float32)
    pred = np.array([[4, 9, 3], [9, 9, 3]], dtype=np.float32)
    # observed errors: -1, 0, 2 -> sqrt((1 + 0 + 4) / 3)
    assert masked_rmse(pred, target) == pytest.approx(np.sqrt(5 / 3))
    assert masked_mae(pred, target) == pytest.approx(1.0)


def test_unobserved_entries_do_not_count():
    target = np.array([0, 4, 0], dtype=np.float32)
    assert masked_rmse([100, 4, -100], target) == 0.0


def test_explicit_mask():
    target = np.array([1, 2, 3], dtype=np.float32)
    assert masked_rmse([1, 2, 0], target, mask=[True, True, False]) == 0.0


def test_errors():
    with pytest.raises(ValueError, match="no observed"):
        masked_rmse(np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match="shapes differ"):
        masked_rmse(np.ones(3), np.ones(4))
