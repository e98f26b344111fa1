"""10 exercise 4: biased MF searched from MF (book)'s choice, against MF (book)."""

from otter.test_files import test_case

OK_FORMAT = False  # otter: an exception-based test file

name = "q10_4"
points = 1
# A wrong answer: MF (book) minus biased MF (the sign flipped), far off.
WRONG = {"biased_minus_book_rmse": 0.05}


@test_case(points=1, hidden=False)
def test_biased_minus_book(biased_minus_book_rmse):
    from autorec_common.exercises import expect_close, recorded, tolerance

    key = "biased_mf_minus_mf_book_random"
    expected = recorded("10_autorec_vs_mf", key)["value"]
    expect_close("biased_minus_book_rmse", biased_minus_book_rmse, expected,
                 tolerance("10_autorec_vs_mf", key),
                 hint="Keep the better of the two searches for biased MF on "
                      "validation, run both variants with the five seeds, and "
                      "average biased MF's test RMSE minus MF (book)'s, seed by seed.")
