"""10 exercise 2: a paired bootstrap over the sequence-aware test ratings."""

from otter.test_files import test_case

OK_FORMAT = False  # otter: an exception-based test file

name = "q10_2"
points = 1
# A wrong answer: the two splits' bootstrap widths swapped, the difference's sign
# flipped (AutoRec minus MF).
WRONG = {"seq_difference": -0.05, "seq_boot_width": 0.01, "random_boot_width": 0.04}


@test_case(points=1, hidden=False)
def test_bootstrap(seq_difference, seq_boot_width, random_boot_width):
    from autorec_common.exercises import expect_close, recorded, tolerance

    key = "mf_book_minus_i_autorec_seq_aware"
    entry = recorded("10_autorec_vs_mf", key)
    seed0 = entry["values"][entry["ids"].index(0)]
    expect_close("seq_difference", seq_difference, seed0,
                 tolerance("10_autorec_vs_mf", key),
                 hint="Train MF (book) and I-AutoRec with seed 0 on the "
                      "sequence-aware split and take MF's test RMSE minus "
                      "I-AutoRec's, on all 943 test ratings.")
    for name_, width in (("seq_boot_width", seq_boot_width),
                         ("random_boot_width", random_boot_width)):
        expect_close(name_, width, 0.25, 0.25,
                     hint="The width is the 97.5th minus the 2.5th percentile of "
                          "the bootstrap differences, a positive number of stars.")
    # ten times fewer test ratings: an interval about three times wider
    expect_close("seq_boot_width / random_boot_width",
                 seq_boot_width / random_boot_width, 4.0, 2.5,
                 hint="Resample each split's own test ratings (943 and 9,905), "
                      "pairing the two models' errors on the same ratings.")
