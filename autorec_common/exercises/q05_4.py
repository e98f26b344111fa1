"""05 exercise 4: the test RMSE of 30 hidden units (laptop version)."""

from otter.test_files import test_case

OK_FORMAT = False  # otter: an exception-based test file

name = "q05_4"
points = 1
# A wrong answer: a training RMSE (the fit), not the test RMSE.
WRONG = {"rmse_30": 0.80}


@test_case(points=1, hidden=False)
def test_rmse_30(rmse_30):
    from autorec_common.exercises import expect_close, recorded, tolerance

    # A property: 30 units land between 10 units and the best size. The band
    # spans their recorded test RMSEs, widened by 3 seed sd of the 10-unit model.
    small = recorded("05_hidden_size", "test_rmse_10")["value"]
    best = recorded("05_hidden_size", "test_rmse_best")["value"]
    tol = (small - best) / 2 + tolerance("05_hidden_size", "test_rmse_10")
    expect_close(
        "rmse_30", rmse_30, (small + best) / 2, tol,
        hint="Train 30 units with seeds 0 and 1 at lr 0.005 and average their "
             "test RMSE.")
