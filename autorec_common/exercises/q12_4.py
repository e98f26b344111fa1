"""12 exercise 4: an unmasked user-based AutoRec on the likes, seed 0, test NDCG@10."""

from otter.test_files import test_case

OK_FORMAT = False  # otter: an exception-based test file

name = "q12_4"
points = 1
# A wrong answer: the most-popular list's NDCG@10.
WRONG = {"unmasked_ndcg": 0.1499}


@test_case(points=1, hidden=False)
def test_unmasked_ndcg(unmasked_ndcg):
    from autorec_common.exercises import expect_close, recorded, tolerance

    expected = recorded("12_cdae_topn", "exercise4_unmasked_ndcg10")["value"]
    # the seed spread of CDAE's test NDCG@10, three times
    tol = tolerance("12_cdae_topn", "cdae_ndcg10")
    expect_close("unmasked_ndcg", unmasked_ndcg, expected, tol,
                 hint="Train art.AutoRec(500, num_items, 0.05, mask=False) on the "
                      "binary user-by-item likes, rank by its outputs, and store the "
                      "test NDCG@10.")
