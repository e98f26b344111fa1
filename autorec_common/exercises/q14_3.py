"""14 exercise 3: the observed-only loss scales every gradient by entries / observed."""

from otter.test_files import test_case

OK_FORMAT = False  # otter: an exception-based test file

name = "q14_3"
points = 1
# A wrong answer: the inverse ratio (dense over observed-only).
WRONG = {"grad_ratio": 0.0564}


@test_case(points=1, hidden=False)
def test_grad_ratio(grad_ratio):
    import torch

    import autorec_common as ac
    from autorec_common import sparse as ars
    from autorec_common.exercises import expect_close

    mats = ac.rating_matrices("random", seed=0)
    rows = torch.randperm(mats.train.shape[0], generator=torch.Generator().manual_seed(0))
    batch = ars.Rows(mats.train).batch(rows[:256])  # the notebook's batch
    expected = len(batch) * batch.width / len(batch.values)
    # float32 gradients: agreement to 1e-3 of the ratio
    expect_close(
        "grad_ratio", grad_ratio, expected, 1e-3 * expected,
        hint="Divide the new decoder-weight gradient's norm by the dense path's, on "
             "the notebook's one-step batch (rows from seed 0, dropout from seed 1).")
