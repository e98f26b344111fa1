"""05 exercise 2: dropout 0.5 against 0.05 for 500 units (laptop version)."""

from otter.test_files import test_case

OK_FORMAT = False  # otter: an exception-based test file

name = "q05_2"
points = 1
# A wrong answer: the RMSE of the dropout-0.5 model itself, not a difference.
WRONG = {"dropout_gap": 0.89}


@test_case(points=1, hidden=False)
def test_dropout_gap(dropout_gap):
    from autorec_common.exercises import expect_close, tolerance

    # A property, not an exact answer: a paired difference of RMSEs between two
    # dropout rates of the same model is a few hundredths at most; the check
    # allows 15 seed sd of the reference model around 0.
    tol = tolerance("05_hidden_size", "reference_test_rmse", k=15)
    expect_close(
        "dropout_gap", dropout_gap, 0.0, tol,
        hint="Store a *difference*: test RMSE with dropout 0.5 minus the "
             "reference's (dropout 0.05), seed by seed, averaged over seeds 0 and 1.")
