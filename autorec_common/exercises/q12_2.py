"""12 exercise 2: CDAE without the user node, seed 0, test NDCG@10."""

from otter.test_files import test_case

OK_FORMAT = False  # otter: an exception-based test file

name = "q12_2"
points = 1
# A wrong answer: precision@10 instead of NDCG@10.
WRONG = {"no_user_node_ndcg": 0.20}


@test_case(points=1, hidden=False)
def test_no_user_node_ndcg(no_user_node_ndcg):
    from autorec_common.exercises import expect_close, recorded, tolerance

    expected = recorded("12_cdae_topn", "exercise2_no_user_node_ndcg10")["value"]
    # the seed spread of CDAE's test NDCG@10, three times
    tol = tolerance("12_cdae_topn", "cdae_ndcg10")
    expect_close("no_user_node_ndcg", no_user_node_ndcg, expected, tol,
                 hint="Store the test NDCG@10 of the model without `user_node`.")
