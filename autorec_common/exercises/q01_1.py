"""01 exercise 1: the most rated movie."""

from otter.test_files import test_case

OK_FORMAT = False  # otter: an exception-based test file

name = "q01_1"
points = 1
# A wrong answer the grading tier checks fails: the most active user's id.
WRONG = {"most_rated_item": 405}


@test_case(points=1, hidden=False)
def test_most_rated_item(most_rated_item):
    import autorec_common as ac
    from autorec_common.exercises import expect_close

    data, _, _ = ac.read_data_ml100k()
    expected = int(data.groupby("item_id").size().idxmax())
    expect_close("most_rated_item", most_rated_item, expected, 0.5,
                 hint="Count the ratings per item_id (not per user_id) and take "
                      "the item with the most.")
