"""01 exercise 3: observed ratings per input row, user- and item-based."""

from otter.test_files import test_case

OK_FORMAT = False  # otter: an exception-based test file

name = "q01_3"
points = 2
# A wrong answer: the rows' lengths instead of their observed entries.
WRONG = {"items_per_user_row": 1682.0, "users_per_item_row": 943.0}
# The answers are means of counts: equal up to printing to 2 decimals.
TOL = 0.01


def _train():
    import autorec_common as ac

    data, num_users, num_items = ac.read_data_ml100k()
    train, _ = ac.split_data_ml100k(data, num_users, num_items, seed=0)
    return train, num_users, num_items


@test_case(points=1, hidden=False)
def test_items_per_user_row(items_per_user_row):
    from autorec_common.exercises import expect_close

    train, num_users, _ = _train()
    expect_close("items_per_user_row", items_per_user_row, len(train) / num_users, TOL,
                 hint="Count the nonzero entries of each row of the user-by-item "
                      "matrix of the seed-0 training split, then average.")


@test_case(points=1, hidden=False)
def test_users_per_item_row(users_per_item_row):
    from autorec_common.exercises import expect_close

    train, _, num_items = _train()
    expect_close("users_per_item_row", users_per_item_row, len(train) / num_items, TOL,
                 hint="An item-based row is a column of the user-by-item matrix: "
                      "average the nonzero counts over the items.")
