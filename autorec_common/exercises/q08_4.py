"""08 exercise 4: the weight decay that realises the paper's lambda = 1."""

from otter.test_files import test_case

OK_FORMAT = False  # otter: an exception-based test file

name = "q08_4"
points = 1
# A wrong answer: lambda = wd n m, the factor 2 forgotten.
WRONG = {"wd_for_lambda_1": 6.3e-7}


@test_case(points=1, hidden=False)
def test_wd_for_lambda_1(wd_for_lambda_1):
    import autorec_common as ac
    from autorec_common.exercises import expect_close

    num_items, num_users = ac.rating_matrices("random", seed=0).train.shape
    expected = 1 / (2 * num_items * num_users)
    expect_close("wd_for_lambda_1", wd_for_lambda_1, expected, 0.01 * expected,
                 hint="Solve lambda = 2 wd n m for wd, with n items and m users.")
