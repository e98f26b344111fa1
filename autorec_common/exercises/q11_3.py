"""11 exercise 3: SVD minus I-AutoRec on u1 over seeds, against over folds."""

from otter.test_files import test_case

OK_FORMAT = False  # otter: an exception-based test file

name = "q11_3"
points = 1
# A wrong answer: the two widths swapped.
WRONG = {"u1_width": 0.02, "folds_width": 0.004}


@test_case(points=1, hidden=False)
def test_widths(u1_width, folds_width):
    import pandas as pd

    from autorec_common import protocol
    from autorec_common.exercises import expect_close, recorded

    stem = "11_benchmark_u1_u5"

    def per_run(key):
        entry = recorded(stem, key)
        return pd.Series(entry["values"], index=entry["ids"])

    u1 = protocol.paired_difference(per_run("surprise_svd_u1"),
                                    per_run("rmse_u1_clipped"))
    folds = protocol.paired_difference(per_run("svd_minus_autorec_5fold"), 0.0,
                                       test_train_ratio=protocol.RELEASE_TEST_TRAIN)
    # rerun on another machine, the trained numbers move a little: a quarter of
    # each width
    expect_close("u1_width", u1_width, u1.high - u1.low, (u1.high - u1.low) / 4,
                 hint="Pair SVD's and clipped I-AutoRec's u1 test RMSEs by seed "
                      "(protocol.paired_difference) and take high minus low.")
    expect_close("folds_width", folds_width, folds.high - folds.low,
                 (folds.high - folds.low) / 4,
                 hint="Use the interval over the five folds, with the correction "
                      "for shared training data (test_train_ratio=0.25).")
