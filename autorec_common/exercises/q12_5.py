"""12 exercise 5: CDAE minus most popular on the 5-core likes, test NDCG@10."""

from otter.test_files import test_case

OK_FORMAT = False  # otter: an exception-based test file

name = "q12_5"
points = 1
# A wrong answer: CDAE's NDCG@10 itself instead of its margin over popularity.
WRONG = {"core5_margin": 0.30}


@test_case(points=1, hidden=False)
def test_core5_margin(core5_margin):
    from autorec_common.exercises import expect_close, recorded, tolerance

    expected = recorded("12_cdae_topn", "exercise5_core5_margin")["value"]
    # the seed spread of CDAE's test NDCG@10, three times
    tol = tolerance("12_cdae_topn", "cdae_ndcg10")
    expect_close("core5_margin", core5_margin, expected, tol,
                 hint="CDAE's test NDCG@10 minus the most-popular list's, both on "
                      "the 5-core split with seed 0.")
