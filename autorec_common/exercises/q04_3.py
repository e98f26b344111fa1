"""04 exercise 3: seeds per model to detect a 0.001 difference in test RMSE."""

from otter.test_files import test_case

OK_FORMAT = False  # otter: an exception-based test file

name = "q04_3"
points = 1
# A wrong answer: the one-sample formula, without the factor 2 of two groups.
WRONG = {"seeds_per_model": 12}
# The answer depends a little on the sd used (PyTorch's, MXNet's or both pooled,
# rounded or not) and on rounding up: the check accepts +-2 seeds around the one
# from the pooled recorded sds, which still rejects the one-group formula (half).
TOL = 2


@test_case(points=1, hidden=False)
def test_seeds_per_model(seeds_per_model):
    import math

    from scipy import stats

    from autorec_common.exercises import expect_close, recorded

    sds = [recorded("04_framework_comparison", key)["std"]
           for key in ("rmse_pytorch", "rmse_mxnet")]
    sigma = math.sqrt(sum(s**2 for s in sds) / len(sds))
    z = stats.norm.ppf(0.975) + stats.norm.ppf(0.80)
    expected = math.ceil(2 * (z * sigma / 0.001) ** 2)
    expect_close("seeds_per_model", seeds_per_model, expected, TOL,
                 hint="Two independent groups of n runs: the difference of the "
                      "means has standard error sigma * sqrt(2 / n); solve "
                      "0.001 = (z_0.975 + z_0.80) * sigma * sqrt(2 / n) for n.")
