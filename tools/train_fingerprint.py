"""Print a fingerprint of the chapter's training in this environment.

Trains the chapter's model in MXNet and in PyTorch (random split seed 0, seed 0,
25 epochs) and prints, as JSON, every epoch's training loss and test RMSE at
full precision and a SHA-256 of each final prediction matrix. Run it in two
environments (say NumPy 1.23.5 and NumPy 2) and compare the two outputs:

    python tools/train_fingerprint.py > a.json   # in each environment
"""

import hashlib
import json
import platform

import numpy as np
import torch

import autorec_common as ac
from autorec_common import mxnet as arm
from autorec_common import torch as art
import mxnet as mx  # noqa: E402  (after autorec_common.mxnet, which restores NumPy names)


def fingerprint(history, prediction) -> dict:
    return {"train_loss": [row["train_loss"] for row in history.rows],
            "test_rmse": [row["test_rmse"] for row in history.rows],
            "prediction_sha256": hashlib.sha256(prediction.tobytes()).hexdigest()}


def main() -> None:
    mats = ac.rating_matrices(seed=0)
    train, test = mats.train, mats.test
    out = {"python": platform.python_version(), "numpy": np.__version__}

    arm.seed_everything(0)
    net = arm.AutoRec(500, train.shape[1], 0.05)
    net.initialize(mx.init.Normal(0.01), ctx=mx.cpu())
    history = arm.train_autorec(net, train, test, seed=0, progress=False, ctx=mx.cpu())
    out["mxnet"] = fingerprint(history, arm.predict(net, train, mx.cpu()))

    torch.manual_seed(0)
    tnet = art.AutoRec(500, train.shape[1], 0.05)
    history = art.train_autorec(tnet, train, test, seed=0, progress=False,
                                device=torch.device("cpu"))
    out["pytorch"] = fingerprint(history, art.predict(tnet, train))
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
