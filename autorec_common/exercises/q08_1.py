"""08 exercise 1: the copier scored by the book's protocol and by the post's."""

from otter.test_files import test_case

OK_FORMAT = False  # otter: an exception-based test file

name = "q08_1"
points = 1
# A wrong answer: the two protocols swapped.
WRONG = {"copy_book_rmse": 0.0, "copy_post_rmse": 3.704}
# Deterministic numbers: the check accepts them to 3 decimals.
TOL = 5e-4


@test_case(points=1, hidden=False)
def test_copier(copy_book_rmse, copy_post_rmse):
    import numpy as np

    import autorec_common as ac
    from autorec_common.exercises import expect_close

    mats = ac.rating_matrices("random", seed=0)
    test = mats.test[mats.test > 0]
    expect_close("copy_book_rmse", copy_book_rmse, float(np.sqrt((test**2).mean())), TOL,
                 hint="Feed the *training* matrix to the copier and score its output "
                      "at the observed *test* entries, as the book's evaluator does.")
    expect_close("copy_post_rmse", copy_post_rmse, 0.0, TOL,
                 hint="Feed the *test* matrix to the copier and score it against the "
                      "test matrix itself.")
