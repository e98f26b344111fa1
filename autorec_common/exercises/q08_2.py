"""08 exercise 2: training against mean-filled targets instead of a mask."""

from otter.test_files import test_case

OK_FORMAT = False  # otter: an exception-based test file

name = "q08_2"
points = 1
# A wrong answer: the numbers of the model trained with neither mask nor fill.
WRONG = {"fill_test_rmse": 2.62, "fill_pred_unobserved": 1.18}


@test_case(points=1, hidden=False)
def test_filled_targets(fill_test_rmse, fill_pred_unobserved):
    import autorec_common as ac
    from autorec_common.exercises import expect_close, recorded, tolerance

    mats = ac.rating_matrices("random", seed=0)
    fill = float(mats.train[mats.train > 0].mean())
    # A property of the trained model: where nothing was observed it predicts
    # about the value it was taught there.
    expect_close("fill_pred_unobserved", fill_pred_unobserved, fill, 0.3,
                 hint="Fill the target's zeros (not the input's) with the mean "
                      "training rating, train without the output mask, and average "
                      "the predictions over entries that are neither training nor "
                      "test ratings.")
    # Better than the unmasked model, not better than the book's masked one.
    book = recorded("08_test_masking", "book_test_rmse")["value"]
    nomask = recorded("08_test_masking", "nomask_test_rmse")["value"]
    low = book - tolerance("08_test_masking", "book_test_rmse")
    middle, half = (low + nomask) / 2, (nomask - low) / 2
    expect_close("fill_test_rmse", fill_test_rmse, middle, half,
                 hint=f"Expect a test RMSE between the book's masked model ({book:.3f}) "
                      f"and the model trained with zeros as targets ({nomask:.3f}).")
