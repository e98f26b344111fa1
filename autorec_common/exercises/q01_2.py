"""01 exercise 2: test items without a training rating, seed 1."""

from otter.test_files import test_case

OK_FORMAT = False  # otter: an exception-based test file

name = "q01_2"
points = 1
# A wrong answer: seed 0's count.
WRONG = {"cold_items_seed1": 16}


@test_case(points=1, hidden=False)
def test_cold_items_seed1(cold_items_seed1):
    import autorec_common as ac
    from autorec_common.exercises import expect_close

    data, num_users, num_items = ac.read_data_ml100k()
    train, test = ac.split_data_ml100k(data, num_users, num_items, "random", 0.1,
                                       seed=1)
    expected = len(set(test.item_id) - set(train.item_id))
    expect_close("cold_items_seed1", cold_items_seed1, expected, 0.5,
                 hint="Split with seed=1, then count the distinct test item ids "
                      "that never occur in the training split.")
