"""07 exercise 2: the linear AutoRec with weight decay 1e-3, seed 0, test RMSE."""

from otter.test_files import test_case

OK_FORMAT = False  # otter: an exception-based test file

name = "q07_2"
points = 1
# A wrong answer: the book's pair's test RMSE instead of the linear model's.
WRONG = {"linear_wd_test_rmse": 0.889}


@test_case(points=1, hidden=False)
def test_linear_wd_test_rmse(linear_wd_test_rmse):
    from autorec_common.exercises import expect_close, recorded, tolerance

    expected = recorded("07_activations", "exercise2_linear_wd_test_rmse")["value"]
    # the seed spread of the linear pair's test RMSE, three times
    tol = tolerance("07_activations", "linear_test_rmse")
    expect_close("linear_wd_test_rmse", linear_wd_test_rmse, expected, tol,
                 hint="Train identity/identity (seed 0) with the reference settings "
                      "and wd = 1e-3, and store its test RMSE.")
