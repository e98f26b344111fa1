"""01 exercise 4: the test RMSE of the mean predictor, seed-0 split."""

from otter.test_files import test_case

OK_FORMAT = False  # otter: an exception-based test file

name = "q01_4"
points = 1
# A wrong answer: the mean rating itself instead of its RMSE.
WRONG = {"mean_rmse": 3.53}
# A deterministic number: the check accepts it to 3 decimals.
TOL = 5e-4


@test_case(points=1, hidden=False)
def test_mean_rmse(mean_rmse):
    import numpy as np

    import autorec_common as ac
    from autorec_common.exercises import expect_close

    data, num_users, num_items = ac.read_data_ml100k()
    train, test = ac.split_data_ml100k(data, num_users, num_items, seed=0)
    expected = float(np.sqrt(((test.rating - train.rating.mean()) ** 2).mean()))
    expect_close("mean_rmse", mean_rmse, expected, TOL,
                 hint="Predict the mean of the *training* ratings for every test "
                      "rating; the RMSE is the square root of the mean squared "
                      "error over the test ratings.")
