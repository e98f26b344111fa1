"""06 exercise 1: greedy pretraining of the all-sigmoid stack (laptop version)."""

from otter.test_files import test_case

OK_FORMAT = False  # otter: an exception-based test file

name = "q06_1"
points = 1
# A wrong answer: a training RMSE (the fit), not the test RMSE.
WRONG = {"pretrained_rmse": 0.70}


@test_case(points=1, hidden=False)
def test_pretrained_rmse(pretrained_rmse):
    from autorec_common.exercises import expect_close, recorded, tolerance

    # A property, not an exact answer: a working fine-tuned stack lands within a
    # few hundredths of the all-sigmoid stack trained from scratch (one seed,
    # another training path: 20 seed sd of that stack on each side).
    expected = recorded("06_depth", "test_rmse_3_sigmoid")["value"]
    tol = tolerance("06_depth", "test_rmse_3_sigmoid", k=20)
    expect_close(
        "pretrained_rmse", pretrained_rmse, expected, tol,
        hint="Pretrain two sigmoid autoencoders (500 units on the ratings, 250 on "
             "the codes), copy their layers into the stack, fine-tune it with "
             "pr.fit (seed 0) and read its *test* RMSE.")
