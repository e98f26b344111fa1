"""The chapter notebooks 02 (MXNet) and 03 (PyTorch): twins that cannot drift,
and definitions that are the package's.

- 02 and 03 share their text: every cell not tagged ``framework-specific`` (or
  ``setup``) is the same in both, in the same place.
- The model, the evaluator and the training loop that 02 and 03 write out
  give, on the same seed, bit for bit the numbers and weights of the package's
  ``AutoRec``, ``evaluator`` and ``train_autorec`` (early stopping off), which
  notebooks 04-13 import. Each check is also run against a changed copy of the
  notebook's code, and must then fail.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
MXNET_NB = NOTEBOOKS / "02_autorec_mxnet.ipynb"
TORCH_NB = NOTEBOOKS / "03_autorec_pytorch.ipynb"
EXEMPT = {"framework-specific", "setup"}


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def source(cell: dict) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def tags(cell: dict) -> set:
    return set(cell.get("metadata", {}).get("tags", []))


def twin_differences(a: list[dict], b: list[dict]) -> list[str]:
    """Where two notebooks' shared cells differ (empty when they are twins)."""
    if len(a) != len(b):
        return [f"{len(a)} cells against {len(b)}"]
    problems = []
    for i, (x, y) in enumerate(zip(a, b)):
        if x["cell_type"] != y["cell_type"]:
            problems.append(f"cell {i}: {x['cell_type']} against {y['cell_type']}")
        elif (tags(x) | tags(y)) & EXEMPT:
            if tags(x) & EXEMPT != tags(y) & EXEMPT:
                problems.append(f"cell {i}: tagged framework-specific in one twin only")
        elif source(x) != source(y) or tags(x) != tags(y):
            problems.append(f"cell {i}: shared cell differs: {source(x)[:60]!r}")
    return problems


def test_chapter_twins_share_every_untagged_cell():
    assert twin_differences(cells(MXNET_NB), cells(TORCH_NB)) == []


def test_twin_check_notices_a_changed_shared_cell():
    a, b = cells(MXNET_NB), cells(TORCH_NB)
    shared = next(i for i, c in enumerate(a) if not tags(c) & EXEMPT and c["cell_type"] == "markdown")
    changed = [dict(c) for c in b]
    changed[shared] = {**b[shared], "source": source(b[shared]) + "\nOne more sentence."}
    assert twin_differences(a, changed) == [
        f"cell {shared}: shared cell differs: {source(a[shared])[:60]!r}"]
    assert twin_differences(a, b[:-1])  # a cell missing


# --- the notebooks' definitions against the package's -----------------------------

def definitions(path: Path, replace: dict | None = None) -> dict:
    """Run a notebook's import cell and its definition cells (cells holding only
    functions and classes) in a fresh namespace; ``replace`` changes their text
    first ({old: new}, each ``old`` must occur)."""
    code = ["\n".join(ln for ln in source(c).splitlines() if not ln.startswith(("%", "!")))
            for c in cells(path) if c["cell_type"] == "code" and "setup" not in tags(c)]
    imports = next(s for s in code if "import autorec_common as ac" in s)
    defs = [s for s in code
            if all(isinstance(n, (ast.FunctionDef, ast.ClassDef)) for n in ast.parse(s).body)]
    text = "\n".join([imports] + defs)
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    namespace: dict = {}
    exec(compile(text, str(path), "exec"), namespace)
    assert {"AutoRec", "evaluator", "train_autorec"} <= set(namespace)
    return namespace


def ratings(rows=150, cols=40, density=0.3, seed=0):
    rng = np.random.default_rng(seed)
    values = rng.integers(1, 6, size=(rows, cols)).astype(np.float32)
    observed = rng.random((rows, cols)) < density
    test = rng.random((rows, cols)) < 0.2
    return values * (observed & ~test), values * (observed & test)


SETTINGS = {"num_epochs": 3, "batch_size": 32, "lr": 0.002, "wd": 1e-5}
HIDDEN, DROPOUT, SEED = 16, 0.05, 0


def torch_runs(ns):
    """(notebook's frame, weights, evaluator), (package's ...) on one seed."""
    import torch
    from autorec_common import torch as art

    train, test = ratings()
    cpu = torch.device("cpu")
    evals = {"test": test, "train": train}
    torch.manual_seed(SEED)
    net = ns["AutoRec"](HIDDEN, train.shape[1], DROPOUT)
    frame = ns["train_autorec"](net, train, evals, device=cpu, seed=SEED, **SETTINGS)
    art.seed_everything(SEED)
    pnet = art.AutoRec(HIDDEN, train.shape[1], DROPOUT)
    hist = art.train_autorec(pnet, train, evals, device=cpu, seed=SEED, progress=False,
                             fused=False, **SETTINGS)
    return ((frame, [p.detach().numpy() for p in net.parameters()],
             ns["evaluator"](net, train, test, cpu)),
            (hist.to_frame().drop(columns="seconds"),
             [p.detach().numpy() for p in pnet.parameters()], art.evaluator(pnet, train, test)))


def mxnet_runs(ns):
    import mxnet as mx
    from mxnet import gluon

    from autorec_common import mxnet as arm

    train, test = ratings()
    cpu = mx.cpu()
    evals = {"test": test, "train": train}
    net = ns["AutoRec"](HIDDEN, train.shape[1], DROPOUT)
    net.initialize(mx.init.Normal(0.01), ctx=cpu)
    frame = ns["train_autorec"](net, train, evals, device=cpu, seed=SEED, **SETTINGS)
    arm.seed_everything(SEED)
    pnet = arm.AutoRec(HIDDEN, train.shape[1], DROPOUT)
    pnet.initialize(ctx=cpu)
    hist = arm.train_autorec(pnet, train, evals, ctx=cpu, seed=SEED, progress=False,
                             loss=gluon.loss.L2Loss(), **SETTINGS)
    weights = lambda n: [p.data().asnumpy() for p in n.collect_params().values()]  # noqa: E731
    return ((frame, weights(net), ns["evaluator"](net, train, test, cpu)),
            (hist.to_frame().drop(columns="seconds"), weights(pnet),
             arm.evaluator(pnet, train, test, cpu)))


def same_bit_for_bit(runs) -> bool:
    (frame, weights, rmse), (pframe, pweights, prmse) = runs
    return (frame.equals(pframe[frame.columns]) and list(frame.columns) == list(pframe.columns)
            and len(weights) == len(pweights)
            and all(a.shape == b.shape and np.array_equal(a, b) for a, b in zip(weights, pweights))
            and rmse == prmse)


def test_notebook_03_definitions_are_the_packages_bit_for_bit():
    pytest.importorskip("torch")
    runs = torch_runs(definitions(TORCH_NB))
    (frame, _, rmse), (pframe, _, prmse) = runs
    assert frame.shape == (3, 3) and frame.train_loss.iloc[-1] < frame.train_loss.iloc[0]
    assert same_bit_for_bit(runs), (frame, pframe, rmse, prmse)


@pytest.mark.parametrize("change", [
    {"0.5 * F.mse_loss(pred, target)": "F.mse_loss(pred, target)"},       # loss scale
    {"if self.training:": "if False:"},                                    # no mask
    {"np.mean(errors**2)": "np.mean(errors[1:] ** 2)"},                  # evaluator
], ids=["loss", "mask", "evaluator"])
def test_notebook_03_check_fails_when_the_notebook_diverges(change):
    pytest.importorskip("torch")
    assert not same_bit_for_bit(torch_runs(definitions(TORCH_NB, change)))


def test_notebook_02_definitions_are_the_packages_bit_for_bit():
    pytest.importorskip("autorec_common.mxnet")
    runs = mxnet_runs(definitions(MXNET_NB))
    (frame, _, rmse), (pframe, _, prmse) = runs
    assert frame.shape == (3, 3) and frame.train_loss.iloc[-1] < frame.train_loss.iloc[0]
    assert same_bit_for_bit(runs), (frame, pframe, rmse, prmse)


@pytest.mark.parametrize("change", [
    {"trainer.step(x.shape[0])": "trainer.step(1)"},                       # gradient scale
    {"nn.Dropout(dropout)": "nn.Dropout(dropout / 2)"},                    # model
], ids=["step", "dropout"])
def test_notebook_02_check_fails_when_the_notebook_diverges(change):
    pytest.importorskip("autorec_common.mxnet")
    assert not same_bit_for_bit(mxnet_runs(definitions(MXNET_NB, change)))
