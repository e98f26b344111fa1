"""``python -m autorec_common.paper``: the paper's protocol end to end on a small
synthetic archive in MovieLens 1M's exact format, and its refusal of an archive
whose checksum is not the published one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import movielens_zip
from test_fetch import closed_port_url

from autorec_common import paper
from autorec_common.data import fetch, load_ratings, release


def low_rank_ratings(users=100, items=300, density=0.3, seed=0) -> pd.DataFrame:
    """Ratings 1..5 of a rank-2 taste model, in ml-1m's columns and id style."""
    rng = np.random.default_rng(seed)
    full = np.clip(np.rint(3 + 1.2 * rng.normal(size=(users, 2)) @ rng.normal(size=(2, items))),
                   1, 5)
    u, i = np.nonzero(rng.random((users, items)) < density)
    return pd.DataFrame({"user_id": u * 2 + 1, "item_id": i * 3 + 5,
                         "rating": full[u, i].astype(int),
                         "timestamp": rng.integers(9.5e8, 1e9, size=len(u))})


def test_the_regulariser_is_the_papers_at_our_loss_scale():
    # paper: sum_obs e^2 + lam/2 |w|^2; ours: sum_obs e^2 / (2 n m) + wd/2 |w|^2
    assert paper.weight_decay(2.0, 10, 30) == pytest.approx(2.0 / (2 * 10 * 30))


def test_interval_is_the_student_t_interval():
    mean, low, high = paper.interval95([0.8, 0.9, 1.0])
    assert mean == pytest.approx(0.9)
    assert high - mean == pytest.approx(4.302653 * 0.1 / np.sqrt(3), rel=1e-5)
    assert low == pytest.approx(2 * mean - high)


def test_the_command_reproduces_on_a_synthetic_ml1m_archive(movielens_archive, capsys):
    frame = low_rank_ratings()
    root, _ = movielens_archive("ml-1m", frame=frame)
    assert paper.main(["--data", "ml-1m", "--root", str(root), "--runs", "3",
                       "--hidden", "40", "--epochs", "45", "--patience", "45",
                       "--batch", "16", "--lr", "0.01"]) == 0
    out = capsys.readouterr().out
    runs = [float(x) for x in pd.Series(out.splitlines()).str.extract(
        r"split \d: test RMSE ([0-9.]+)")[0].dropna()]
    assert len(runs) == 3
    last = out.strip().splitlines()[-1]
    assert "I-AutoRec on MovieLens 1M, 3 random 90/10 splits" in last
    mean = float(last.split("test RMSE ")[1].split()[0])
    assert mean == pytest.approx(np.mean(runs), abs=1e-4) and "(95% interval" in last
    assert "the paper: 0.831" in last and "Took" in last
    # it learned the taste model: better than predicting the mean rating
    spread = float(frame.rating.std())
    assert np.mean(runs) < 0.7 * spread


def test_users_and_items_unseen_in_training_are_found(movielens_archive):
    """They get the default rating 3; here: the protocol finds them in some splits."""
    frame = low_rank_ratings(seed=1)
    # one user and one item rated once each: half the time that rating is in test
    extra = pd.DataFrame({"user_id": [999, 1], "item_id": [5, 777], "rating": [5, 1],
                          "timestamp": [9.9e8, 9.9e8]}).astype(frame.dtypes.to_dict())
    root, _ = movielens_archive("ml-1m", frame=pd.concat([frame, extra]))
    data, users, items = load_ratings("ml-1m", root)
    unseen = [paper.run_once(data, users, items, seed, hidden=10, epochs=2)["unseen"]
              for seed in range(12)]
    assert max(unseen) >= 1 and min(unseen) == 0


def test_an_archive_with_a_wrong_checksum_is_refused_clearly(movielens_archive, capsys,
                                                             monkeypatch):
    root, frame = movielens_archive("ml-1m", frame=low_rank_ratings())
    (root / "ml-1m.zip").write_bytes(movielens_zip(release("ml-1m"), frame.iloc[:-1]))
    monkeypatch.setattr(fetch, "data_url", lambda rel="ml-1m": closed_port_url())
    with pytest.warns(UserWarning):
        code = paper.main(["--data", "ml-1m", "--root", str(root), "--runs", "1"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("Cannot read ml-1m:")
    assert "is not the official MovieLens 1M archive" in err
    assert "failed verification and was moved to" in err
