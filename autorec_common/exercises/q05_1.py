"""05 exercise 1: the test RMSE of 2,000 hidden units (laptop version)."""

from otter.test_files import test_case

OK_FORMAT = False  # otter: an exception-based test file

name = "q05_1"
points = 1
# A wrong answer: the training RMSE (the fit), not the test RMSE.
WRONG = {"rmse_2000": 0.70}


@test_case(points=1, hidden=False)
def test_rmse_2000(rmse_2000):
    from autorec_common.exercises import expect_close, recorded, tolerance

    # Past 500 units the curve is flat: a 2,000-unit model at lr 0.001 lands
    # near the 1,000-unit model. A two-seed mean of another size, so the check
    # widens 3 seed sd of the reference model to 4 (k = 4).
    expected = recorded("05_hidden_size", "test_rmse_1000")["value"]
    tol = tolerance("05_hidden_size", "reference_test_rmse", k=4)
    expect_close(
        "rmse_2000", rmse_2000, expected, tol,
        hint="Train 2,000 units with seeds 0 and 1 at lr 0.001 (train(seed, "
             "num_hidden=2000, lr=0.001)) and average their *test* RMSE.")
