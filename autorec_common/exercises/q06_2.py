"""06 exercise 2: a stack of five hidden layers (laptop version)."""

from otter.test_files import test_case

OK_FORMAT = False  # otter: an exception-based test file

name = "q06_2"
points = 1
# A wrong answer: a training RMSE (the fit), not the test RMSE.
WRONG = {"rmse_5_layers": 0.70}


@test_case(points=1, hidden=False)
def test_rmse_5_layers(rmse_5_layers):
    from autorec_common.exercises import expect_close, recorded, tolerance

    # A property, not an exact answer: a trained five-layer stack lands within a
    # few hundredths of the three-layer stack (one seed of another architecture:
    # 10 seed sd of the three-layer stack on each side).
    expected = recorded("06_depth", "test_rmse_3_layers")["value"]
    tol = tolerance("06_depth", "test_rmse_3_layers", k=10)
    expect_close(
        "rmse_5_layers", rmse_5_layers, expected, tol,
        hint="Add [500, 250, 100, 250, 500] to ARCHS and train it with seed 0 at "
             "the three-layer stack's rate: train(0, arch=..., lr=...); store its "
             "test RMSE.")
