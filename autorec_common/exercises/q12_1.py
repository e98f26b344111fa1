"""12 exercise 1: CDAE with negative sampling, seed 0, test NDCG@10."""

from otter.test_files import test_case

OK_FORMAT = False  # otter: an exception-based test file

name = "q12_1"
points = 1
# A wrong answer: the validation NDCG@10 of the run instead of its test NDCG@10.
WRONG = {"sampled_ndcg": 0.16}


@test_case(points=1, hidden=False)
def test_sampled_ndcg(sampled_ndcg):
    from autorec_common.exercises import expect_close, recorded, tolerance

    expected = recorded("12_cdae_topn", "exercise1_sampled_ndcg10")["value"]
    # the seed spread of CDAE's test NDCG@10, three times
    tol = tolerance("12_cdae_topn", "cdae_ndcg10")
    expect_close("sampled_ndcg", sampled_ndcg, expected, tol,
                 hint="Score the test likes (exclude the validation likes from the "
                      "lists) of the CDAE trained with the sampled loss.")
