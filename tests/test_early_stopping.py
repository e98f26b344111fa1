"""training.EarlyStopping: minimise or maximise, patience, the best state."""

import math

import pytest

from autorec_common.training import EarlyStopping


def run(stopper, scores):
    """Feed ``scores`` (epochs 1, 2, ...) until the stopper says stop; the last epoch."""
    for epoch, score in enumerate(scores, start=1):
        if stopper.step(epoch, score):
            return epoch
    return len(scores)


def test_min_mode_stops_after_patience_and_keeps_the_best_state():
    weights = {"w": 0}
    stopper = EarlyStopping(2, snapshot=lambda: dict(weights))
    for epoch, score in enumerate([0.95, 0.93, 0.94, 0.92, 0.925, 0.93, 0.90], start=1):
        weights["w"] = epoch
        if stopper.step(epoch, score):
            break
    assert (epoch, stopper.best_epoch, stopper.best) == (6, 4, 0.92), stopper.__dict__
    restored = []
    assert stopper.restore(restored.append) and restored == [{"w": 4}], restored


def test_max_mode_maximises():
    stopper = EarlyStopping(3, mode="max")
    assert run(stopper, [0.10, 0.20, 0.15, 0.18, 0.19, 0.30]) == 5
    assert (stopper.best_epoch, stopper.best) == (2, 0.20), stopper.__dict__
    assert stopper.update(6, 0.30) == (True, False)       # (improved, stop)
    assert not stopper.restore(lambda s: None)            # no snapshot was asked for


def test_infinite_patience_tracks_without_stopping_and_none_switches_off():
    stopper = EarlyStopping(math.inf, mode="max")
    assert run(stopper, [0.3, 0.2, 0.1, 0.0]) == 4 and stopper.best_epoch == 1
    off = EarlyStopping(None)
    assert run(off, [0.3, 0.2, 0.1]) == 3 and off.best_epoch is None


def test_bad_arguments():
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(2, mode="maximise")
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(0)
