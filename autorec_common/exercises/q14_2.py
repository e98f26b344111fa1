"""14 exercise 2: U-AutoRec on the dense and the sparse path agree."""

from otter.test_files import test_case

OK_FORMAT = False  # otter: an exception-based test file

name = "q14_2"
points = 1
# A wrong answer: a gap the size of the seed spread, as if the paths disagreed.
WRONG = {"u_rmse_gap": 0.002}
# The one-step check's float32 agreement, carried over 25 epochs: the I-AutoRec
# run above stays within 1e-4 (the bound), and so must U-AutoRec.
BOUND = 1e-4


@test_case(points=1, hidden=False)
def test_u_rmse_gap(u_rmse_gap):
    from autorec_common.exercises import expect_close

    if u_rmse_gap is ... or u_rmse_gap is None:
        expect_close("u_rmse_gap", u_rmse_gap, 0.0, BOUND)  # says "not answered yet"
    assert float(u_rmse_gap) >= 0, (
        f"`u_rmse_gap` = {u_rmse_gap} is negative: take the largest *absolute* "
        "difference between the two paths' test RMSEs.")
    assert float(u_rmse_gap) < BOUND, (
        f"`u_rmse_gap` = {float(u_rmse_gap):.2g}: the two paths should agree within "
        f"{BOUND:g}. Train both from the same seed (art.seed_everything(0) before "
        "building each network) with seed=0, on kind=\"user-item\" matrices.")
