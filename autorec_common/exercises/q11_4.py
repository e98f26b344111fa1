"""11 exercise 4: the best test RMSE over the epochs, and what it flatters."""

from otter.test_files import test_case

OK_FORMAT = False  # otter: an exception-based test file

name = "q11_4"
points = 1
# A wrong answer: the flattery with its sign flipped, the worst epoch's RMSE.
WRONG = {"best_test_rmse": 1.05, "flattery": -0.002}


@test_case(points=1, hidden=False)
def test_best_epoch(best_test_rmse, flattery):
    from autorec_common.exercises import expect_close, recorded, tolerance

    stem = "11_benchmark_u1_u5"
    u1 = recorded(stem, "rmse_u1")["value"]
    spread = tolerance(stem, "rmse_u1")  # 3 seed sds of the u1 benchmark
    # the minimum over the epochs lies at most a little above the benchmark (one
    # seed) and not far below it
    low, high = u1 - 0.01, u1 + spread
    expect_close("best_test_rmse", best_test_rmse, (low + high) / 2, (high - low) / 2,
                 hint="Score u1.test after every epoch of one run on u1.base and "
                      "take the lowest RMSE.")
    expect_close("flattery", flattery, 0.005, 0.005,
                 hint="Take the test RMSE at the epoch chosen on validation minus "
                      "the lowest one: it cannot be negative.")
