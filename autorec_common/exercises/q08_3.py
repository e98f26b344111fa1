"""08 exercise 3: with AdamW the two ways of averaging the loss agree."""

from otter.test_files import test_case

OK_FORMAT = False  # otter: an exception-based test file

name = "q08_3"
points = 1
# A wrong answer: the gap measured with Adam's coupled weight decay.
WRONG = {"adamw_gap": 0.08}


@test_case(points=1, hidden=False)
def test_adamw_gap(adamw_gap):
    from autorec_common.exercises import expect_close, tolerance

    # "Agree" as the notebook's own check cells read it: within 0.01 stars, or
    # within three seed standard deviations where those are larger.
    tol = max(0.01, tolerance("08_test_masking", "book_test_rmse"))
    expect_close("adamw_gap", adamw_gap, 0.0, tol,
                 hint="Train the book's model twice with torch.optim.AdamW(lr=0.002, "
                      "weight_decay=1e-3), once with each loss, on the same seed, and "
                      "subtract the observed-only loss's test RMSE from the book's.")
