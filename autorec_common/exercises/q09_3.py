"""09 exercise 3: the user's mean training rating as the default for unrated items."""

from otter.test_files import test_case

OK_FORMAT = False  # otter: an exception-based test file

name = "q09_3"
points = 1
# A wrong answer: the RMSE of the constant default 3 on the same ratings.
WRONG = {"user_mean_rmse": 1.597}
# A deterministic number: the check accepts it to 3 decimals.
TOL = 5e-4


@test_case(points=1, hidden=False)
def test_user_mean_rmse(user_mean_rmse):
    import numpy as np

    import autorec_common as ac
    from autorec_common.exercises import expect_close

    m = ac.rating_matrices("random", seed=0, valid_ratio=0.1)  # items x users
    rated = m.train != 0
    user_mean = m.train.sum(axis=0) / np.maximum(rated.sum(axis=0), 1)
    affected = (m.test != 0) & (rated.sum(axis=1) == 0)[:, None]
    errors = user_mean[np.nonzero(affected)[1]] - m.test[affected]
    expected = float(np.sqrt((errors**2).mean()))
    expect_close(
        "user_mean_rmse", user_mean_rmse, expected, TOL,
        hint="Score only the test ratings of items without any training rating, "
             "predicting each user's mean *training* rating for them.")
