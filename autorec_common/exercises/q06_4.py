"""06 exercise 4: the first layer's gradient, all-sigmoid over ReLU stack."""

from otter.test_files import test_case

OK_FORMAT = False  # otter: an exception-based test file

name = "q06_4"
points = 1
# A wrong answer: the ratio the other way round (ReLU over all-sigmoid).
WRONG = {"grad_ratio": 10.0}


@test_case(points=1, hidden=False)
def test_grad_ratio(grad_ratio):
    from autorec_common.exercises import expect_close

    # A property: the gradient reaching the first layer through sigmoid layers
    # (sigma' <= 1/4) is smaller than through ReLU layers, so the ratio lies
    # strictly between 0 and 1 (the check: within 0.5 of 0.5).
    expect_close(
        "grad_ratio", grad_ratio, 0.5, 0.5,
        hint="Divide the first Linear layer's weight-gradient norm in the "
             "all-sigmoid stack by the one in the ReLU stack (not the other way "
             "round), each built after art.seed_everything(0), on the first 256 "
             "items of mats.train.")
