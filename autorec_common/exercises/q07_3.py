"""07 exercise 3: the book's model with input dropout q = 0.5, seed 0, test RMSE."""

from otter.test_files import test_case

OK_FORMAT = False  # otter: an exception-based test file

name = "q07_3"
points = 1
# A wrong answer: the validation RMSE of the run instead of its test RMSE.
WRONG = {"denoising_test_rmse": 0.875}


@test_case(points=1, hidden=False)
def test_denoising_test_rmse(denoising_test_rmse):
    from autorec_common.exercises import expect_close, recorded, tolerance

    expected = recorded("07_activations", "exercise3_denoising_test_rmse")["value"]
    # the seed spread of the book's pair's test RMSE, three times
    tol = tolerance("07_activations", "book_pair_test_rmse")
    expect_close("denoising_test_rmse", denoising_test_rmse, expected, tol,
                 hint="Drop each input rating with probability 0.5 in training only, "
                      "keep the uncorrupted ratings as the target and the mask, and "
                      "store the test RMSE (not the validation RMSE).")
