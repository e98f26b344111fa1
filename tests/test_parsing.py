"""Parsing, splitting and matrices, on small synthetic data (tests/conftest.py)."""

import numpy as np
import pandas as pd
import pytest

from autorec_common import (MalformedDataError, describe, interaction_matrix,
                            load_data_ml100k, split_data_ml100k)
from autorec_common.data import GENRES, parse_items, parse_ratings


def to_text(frame):
    return "\n".join("\t".join(str(v) for v in row) for row in frame.itertuples(index=False))


def test_parse_ratings_round_trip(rating_frame):
    frame = rating_frame()
    parsed = parse_ratings(to_text(frame).encode())
    pd.testing.assert_frame_equal(parsed, frame.astype(np.int64))


@pytest.mark.parametrize("bad, reason", [
    ("1\t2\t3", "expected 4 tab-separated fields, found 3"),
    ("1\ttwo\t3\t100", "'two' is not a whole number"),
    ("1\t2\t7\t100", "rating 7 is outside 1..5"),
    ("0\t2\t3\t100", "ids start at 1"),
])
def test_malformed_line_names_file_and_line(bad, reason):
    text = "1\t1\t5\t10\n2\t3\t4\t11\n" + bad + "\n"
    with pytest.raises(MalformedDataError) as info:
        parse_ratings(text, source="u.data")
    assert "u.data, line 3" in str(info.value)
    assert reason in str(info.value)


def test_empty_ratings_file_is_an_error():
    with pytest.raises(MalformedDataError, match="no ratings"):
        parse_ratings(b"\n\n", source="u1.test")


def test_parse_items_reads_latin1_titles():
    flags = "|".join(["0"] * (len(GENRES) - 1) + ["1"])
    line = f"7|Misérables, Les (1995)|01-Jan-1995||http://x|{flags}"
    items = parse_items(line.encode("latin-1"))
    assert items.title[0] == "Misérables, Les (1995)"
    assert items.release_date[0] == pd.Timestamp("1995-01-01")
    assert items.Western[0] == 1 and items.Action[0] == 0


def test_parse_items_wrong_field_count():
    with pytest.raises(MalformedDataError, match="u.item, line 1"):
        parse_items(b"1|Toy Story|01-Jan-1995")


def test_random_split_sizes_disjoint_and_complete(rating_frame):
    frame = rating_frame(n=1000)
    train, test = split_data_ml100k(frame, 30, 40, "random", test_ratio=0.2, seed=3)
    assert len(train) + len(test) == len(frame)
    assert 0.15 < len(test) / len(frame) < 0.25
    key = lambda f: set(zip(f.user_id, f.item_id))  # noqa: E731
    assert not key(train) & key(test)
    assert key(train) | key(test) == key(frame)


def test_random_split_is_seeded(rating_frame):
    frame = rating_frame(n=1000)
    a = split_data_ml100k(frame, 30, 40, seed=1)[1]
    b = split_data_ml100k(frame, 30, 40, seed=1)[1]
    c = split_data_ml100k(frame, 30, 40, seed=2)[1]
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_seq_aware_split_holds_out_each_users_latest(rating_frame):
    frame = rating_frame(n=600)
    train, test = split_data_ml100k(frame, 30, 40, "seq-aware")
    assert len(test) == frame.user_id.nunique() and len(train) + len(test) == len(frame)
    latest = frame.groupby("user_id").timestamp.max()
    assert (test.set_index("user_id").timestamp == latest).all()
    # training rows come in time order within each user, as in D2L
    assert (train.groupby("user_id").timestamp.diff().dropna() >= 0).all()


def test_split_rejects_bad_arguments(rating_frame):
    frame = rating_frame()
    with pytest.raises(ValueError, match="test_ratio"):
        split_data_ml100k(frame, 30, 40, test_ratio=1.5)
    with pytest.raises(ValueError, match="split_mode"):
        split_data_ml100k(frame, 30, 40, split_mode="by-time")


def test_interaction_matrices():
    frame = pd.DataFrame({"user_id": [1, 2, 3], "item_id": [2, 2, 1],
                          "rating": [5, 3, 1], "timestamp": [0, 0, 0]})
    item_user = interaction_matrix(frame, num_users=3, num_items=2)
    np.testing.assert_array_equal(item_user, [[0, 0, 1], [5, 3, 0]])
    user_item = interaction_matrix(frame, 3, 2, kind="user-item")
    np.testing.assert_array_equal(user_item, item_user.T)
    assert item_user.dtype == np.float32
    with pytest.raises(ValueError, match="outside"):
        interaction_matrix(frame, num_users=2, num_items=2)


def test_load_data_in_the_books_shape(rating_frame):
    frame = rating_frame()
    users, items, scores, inter = load_data_ml100k(frame, 30, 40)
    assert inter.shape == (40, 30)
    assert all(inter[i, u] == s for u, i, s in zip(users, items, scores))
    _, _, ones, per_user = load_data_ml100k(frame, 30, 40, feedback="implicit")
    assert set(ones) == {1} and sum(map(len, per_user.values())) == len(frame)


def test_describe(rating_frame):
    stats = describe(rating_frame(n=120), 30, 40)
    assert stats == {"ratings": 120, "users": 30, "items": 40, "sparsity": 0.9}


@pytest.mark.parametrize("bad, reason", [
    ("1\t1\t4\t12", "user 1 rated item 1 already on line 1"),
    ("1_0\t2\t3\t100", "'1_0' is not a whole number"),
    ("+3\t2\t3\t100", "'+3' is not a whole number"),
    ("3\t 2 \t3\t100", "' 2 ' is not a whole number"),
    ("3\t\u0662\t3\t100", "is not a whole number"),           # an Arabic-Indic digit
    ("3\t2\t3\t-100", "'-100' is not a whole number"),
    (f"3\t2\t3\t{2**70}", "is not a whole number"),
    (f"3\t2\t3\t{2**32}", "timestamp 4294967296 is outside 0..4294967295"),
])
def test_strict_fields_and_duplicates_name_file_and_line(bad, reason):
    text = "1\t1\t5\t10\n2\t3\t4\t11\n" + bad + "\n"
    with pytest.raises(MalformedDataError) as info:
        parse_ratings(text, source="my.data")
    assert "my.data, line 3" in str(info.value) and reason in str(info.value)


def test_line_numbers_count_newlines_only():
    with pytest.raises(MalformedDataError, match="line 3: expected 4"):
        parse_ratings("1\t1\t5\t10\n\x0c\n1\t2\t3\n", source="f")


def test_byte_order_mark_and_crlf_are_accepted():
    frame = parse_ratings(b"\xef\xbb\xbf1\t1\t5\t10\r\n2\t3\t4\t11\r\n")
    assert frame.values.tolist() == [[1, 1, 5, 10], [2, 3, 4, 11]]


def test_bulk_and_line_by_line_parsing_agree(monkeypatch, rating_frame):
    from autorec_common import data as D

    text = to_text(rating_frame(n=500)) + "\r\n\n  \n"
    fast = parse_ratings(text)
    monkeypatch.setattr(D.parsing, "_parse_ratings_fast", lambda lines: None)
    pd.testing.assert_frame_equal(parse_ratings(text), fast)


def item_line(item_id="1", flags=None, date="01-Jan-1995"):
    flags = flags or ["0"] * len(GENRES)
    return f"{item_id}|Toy Story (1995)|{date}||http://x|" + "|".join(flags)


@pytest.mark.parametrize("lines, reason", [
    ([item_line(flags=["2"] + ["0"] * 18)], "line 1: genre flag '2' is not 0 or 1"),
    ([item_line(flags=[" 1"] + ["0"] * 18)], "genre flag ' 1' is not 0 or 1"),
    ([item_line(), item_line("2"), item_line("1")], "line 3: item 1 is already on line 1"),
    ([item_line("1_0")], "'1_0' is not a whole number"),
    ([item_line(date="31-Feb-1995")], "release date '31-Feb-1995' is not like"),
    (["", "  "], "no items found"),
])
def test_parse_items_rejects_what_is_not_the_format(lines, reason):
    with pytest.raises(MalformedDataError) as info:
        parse_items("\n".join(lines).encode("latin-1"), source="my.item")
    assert "my.item" in str(info.value) and reason in str(info.value)


def test_parse_items_accepts_text_and_an_empty_date():
    items = parse_items(item_line(date="") + "\n" + item_line("2"))
    assert items.release_date.isna().tolist() == [True, False]


def test_parse_items_recognises_utf8():
    line = "1|Café Story (1995)|01-Jan-1995||http://x|" + "|".join("0" * 19)
    with pytest.warns(UserWarning, match="UTF-8, not in the release's Latin-1"):
        items = parse_items(line.encode("utf-8"))
    assert items.title[0] == "Café Story (1995)"


def test_parse_items_warns_of_a_utf8_line_in_a_latin1_file():
    """Lines added in UTF-8 to the release's Latin-1 file would read as 'CafÃ©'."""
    latin = "1|Café (1995)|01-Jan-1995||http://x|" + "|".join("0" * 19)
    added = "2|Café Story (1995)|01-Jan-1995||http://x|" + "|".join("0" * 19)
    raw = latin.encode("latin-1") + b"\n" + added.encode("utf-8")
    with pytest.warns(UserWarning, match=r"line 2 looks like UTF-8 \(read as 'Ã©'\)"):
        parse_items(raw)
