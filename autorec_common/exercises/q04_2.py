"""04 exercise 2: Gluon's epsilon that matches PyTorch's Adam at step 1."""

from otter.test_files import test_case

OK_FORMAT = False  # otter: an exception-based test file

name = "q04_2"
points = 1
# A wrong answer: the nominal epsilon, unchanged.
WRONG = {"gluon_epsilon": 1e-8}


@test_case(points=1, hidden=False)
def test_gluon_epsilon(gluon_epsilon):
    import math

    from autorec_common.exercises import expect_close

    expected = 1e-8 * math.sqrt(1 - 0.999**1)
    # A closed form: the check accepts it to 3 significant digits.
    expect_close("gluon_epsilon", gluon_epsilon, expected, 0.005 * expected,
                 hint="Gluon adds epsilon to the uncorrected sqrt(v_t); PyTorch to "
                      "sqrt(v_t / (1 - beta2**t)). Multiply PyTorch's epsilon by "
                      "sqrt(1 - beta2**t) at t = 1.")
