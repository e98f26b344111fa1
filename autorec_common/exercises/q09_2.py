"""09 exercise 2: half the users keep 5 training ratings; U minus I on them."""

from otter.test_files import test_case

OK_FORMAT = False  # otter: an exception-based test file

name = "q09_2"
points = 1
# A wrong answer: the gap on the full data (notebook 09's headline, about +0.032).
WRONG = {"sparse_users_gap": 0.032}


@test_case(points=1, hidden=False)
def test_sparse_users_gap(sparse_users_gap):
    from autorec_common.exercises import expect_close, recorded, tolerance

    expected = recorded("09_user_vs_item", "exercise2_sparse_users_gap")["value"]
    # five times the seed spread of the paired U minus I gap on the full data
    tol = tolerance("09_user_vs_item", "u_minus_i_test_rmse", k=5)
    expect_close(
        "sparse_users_gap", sparse_users_gap, expected, tol,
        hint="Thin the *training* matrix only (seed 0 for the users and ratings "
             "kept), train both variants with seed 0, apply the default rule, and "
             "take U-AutoRec's minus I-AutoRec's test RMSE on the sparse users' "
             "test ratings.")
