"""05 exercise 3: the training RMSE of a 1-unit AutoRec."""

from otter.test_files import test_case

OK_FORMAT = False  # otter: an exception-based test file

name = "q05_3"
points = 1
# A wrong answer: the bias-only model's training RMSE.
WRONG = {"train_rmse_1unit": 0.9153}


@test_case(points=1, hidden=False)
def test_train_rmse_1unit(train_rmse_1unit):
    from autorec_common.exercises import expect_close, recorded, tolerance

    # The recorded solution (seed 0), within 5 seed sd of the 10-unit model's
    # test RMSE: another machine's float rounding moves a long run a little.
    expected = recorded("05_hidden_size", "exercise3_train_rmse_1_unit")["value"]
    tol = tolerance("05_hidden_size", "test_rmse_10", k=5)
    expect_close(
        "train_rmse_1unit", train_rmse_1unit, expected, tol,
        hint="Train num_hidden=1 with seed 0 at lr 0.01 and read its training "
             "RMSE (the error on the ratings it was fitted to), not its test RMSE.")
