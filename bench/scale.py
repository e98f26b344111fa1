#!/usr/bin/env python
"""Dense against sparse AutoRec (``autorec_common.sparse``) as the data grows:
MovieLens 100K and synthetic matrices with the shapes and densities of the
1M, 10M, 20M and 32M releases, each path in a fresh interpreter, beside the
dense matrix-multiply limit that ``bench.py`` measures.

``bench.py`` calls :func:`compare` after its own scenarios and keeps the
figures in ``results.json`` under ``scale``; :func:`render` writes the report's
section. Alone: ``python bench/scale.py [--quick]`` prints the table with the
limit taken from the committed ``results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from records import BATCH, DROPOUT, HIDDEN, LR, WD, epoch_flops, median

# I-AutoRec: one row per item, one column per user. (items, users, ratings)
RELEASES = {
    "MovieLens 1M": (3706, 6040, 1_000_209),
    "MovieLens 10M": (10_677, 69_878, 10_000_054),
    "MovieLens 20M": (26_744, 138_493, 20_000_263),
    "MovieLens 32M": (84_432, 200_948, 32_000_204),
}
DENSE_ROWS = 512  # rows the dense path trains on where the whole matrix is too big
DENSE_BUDGET = 0.25  # the dense path runs whole if its three matrices fit this share of RAM
PAPER_BATCH = 256  # the batch size `python -m autorec_common.paper` trains with
TARGET_100K = 1.0  # the sparse 100K epoch under this many times the dense limit
TARGET_10M = 5.0  # sparse at least this many times faster than dense on the 10M shape
TARGET_20M_GIB, TARGET_20M_S = 4.0, 60.0  # 20M shape: peak memory and epoch time


def ram_bytes() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


# --- inside a worker ---------------------------------------------------------------

def work(spec: dict) -> dict:
    """Train one path on one data set: seconds per epoch with the per-epoch
    evaluation (median of the epochs after the warm-up ones, all in one
    training call) and peak RSS."""
    from probes import memory_kib

    base_mib = memory_kib()["VmRSS"] / 1024
    import torch

    from autorec_common import sparse as ars
    from autorec_common import torch as art

    if spec["data"] == "MovieLens 100K":
        import autorec_common as ac

        m = ac.rating_matrices("random", seed=0)
        train, test = ars.as_csr(m.train), ars.as_csr(m.test)
    else:
        train, test = ars.synthetic_split(*RELEASES[spec["data"]], seed=0)
    rows = spec.get("rows")
    if rows:  # the first rows at full width: each batch and Adam step costs the same
        train, test = train[:rows], test[:rows]
    data_mib = memory_kib()["VmRSS"] / 1024
    if spec["path"] == "dense":  # the caller holds dense matrices, as the chapter does
        train_fn, train, test = art.train_autorec, train.toarray(), test.toarray()
    else:
        train_fn = ars.train_sparse
    art.seed_everything(0)
    net = art.AutoRec(HIDDEN, train.shape[1], DROPOUT)
    marks = [time.perf_counter()]

    def mark(epoch, best_epoch):  # called after each epoch's evaluation
        marks.append(time.perf_counter())
        return False

    # one call, so that the optimizer's state is allocated once (in the warm-up)
    train_fn(net, train, test, num_epochs=spec["warmup"] + spec["epochs"],
             batch_size=spec["batch"], lr=LR, wd=WD, seed=0, device=torch.device("cpu"),
             progress=False, stop_at=mark)
    times = [b - a for a, b in zip(marks, marks[1:])][spec["warmup"]:]
    mem = memory_kib()
    return {"seconds": median(times), "times": times, "peak_mib": mem["VmHWM"] / 1024,
            "base_mib": base_mib, "data_mib": data_mib, "shape": list(train.shape),
            "threads": torch.get_num_threads()}


def spawn(spec: dict, timeout: float = 1800) -> dict:
    """One worker in a fresh interpreter; its JSON answer."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          cwd=Path(__file__).parent)
    if proc.returncode != 0:
        raise RuntimeError(f"scale worker {spec} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- the scenario ------------------------------------------------------------------

def dense_plan(items: int, users: int) -> tuple[int | None, str | None]:
    """``(rows, why_skipped)``: train the dense path on all rows (``None``), on
    its first DENSE_ROWS rows (times scaled up), or not at all."""
    need = 3 * items * users * 4  # training, test and the evaluation's reconstruction
    if need <= DENSE_BUDGET * ram_bytes():
        return None, None
    if 2 * items * users * 4 > ram_bytes():  # not even a training and a test matrix
        return None, (f"its dense matrices need {need / 2**30:.1f} GiB (training, test and "
                      f"the evaluation's reconstruction, {items:,} x {users:,} float32 "
                      f"each), more than this machine's {ram_bytes() / 2**30:.0f} GiB")
    return DENSE_ROWS, None


def compare(best_rate: float, log=print, quick: bool = False) -> dict:
    """Dense and sparse per data set, in turns; figures as plain JSON values."""
    sets = ["MovieLens 100K", "MovieLens 1M"] + ([] if quick else
                                                 ["MovieLens 10M", "MovieLens 20M",
                                                  "MovieLens 32M"])
    out = {"best_rate": best_rate, "batch": BATCH, "hidden": HIDDEN, "rows": [],
           "ram_gib": ram_bytes() / 2**30}
    for name in sets:
        if name == "MovieLens 100K":
            items, users, ratings = 1682, 943, 100_000
        else:
            items, users, ratings = RELEASES[name]
        small = name in ("MovieLens 100K", "MovieLens 1M")
        spec = {"data": name, "batch": BATCH, "warmup": 1, "epochs": 3 if small else 1}
        row = {"name": name, "items": items, "users": users, "ratings": ratings,
               "limit": epoch_flops(items, users, HIDDEN).total / best_rate}
        rows, why = dense_plan(items, users)
        if name == "MovieLens 32M" and ram_bytes() < 16 * 2**30:
            why = "skipped: less than 16 GiB of memory"
        if why:
            row["dense"] = {"skipped": why}
        else:
            res = spawn({**spec, "path": "dense", "rows": rows,
                         "warmup": 1, "epochs": spec["epochs"] if not rows else 2})
            factor = items / rows if rows else 1
            row["dense"] = {**res, "seconds": res["seconds"] * factor}
            if rows:  # trained on its first rows only, the time scaled up
                row["dense"]["extrapolated_from"] = rows
        try:
            largest = name in ("MovieLens 20M", "MovieLens 32M")
            row["sparse"] = spawn({**spec, "path": "sparse", "warmup": 0 if largest else 1})
        except (RuntimeError, subprocess.TimeoutExpired) as err:
            row["sparse"] = {"skipped": f"failed: {str(err).splitlines()[0]}"}
        out["rows"].append(row)
        d, s = row["dense"], row["sparse"]
        log(f"  {name}: dense " + (f"{d['seconds']:.2f} s/epoch" if "seconds" in d
                                   else d["skipped"])
            + ", sparse " + (f"{s['seconds']:.2f} s/epoch, peak {s['peak_mib'] / 1024:.2f} GiB"
                             if "seconds" in s else s["skipped"]))
    return out


def targets(scale: dict) -> list:
    """``(text, ok)`` for each of issue 25's targets the run measured."""
    rows = {r["name"]: r for r in scale["rows"]}
    out = []
    r = rows.get("MovieLens 100K")
    if r and "seconds" in r["sparse"]:
        x = r["sparse"]["seconds"] / r["limit"]
        out.append((f"MovieLens 100K: the sparse epoch (with evaluation) takes {x:.2f}x the "
                    f"dense limit (target: below {TARGET_100K:.1f}x)", x < TARGET_100K))
    r = rows.get("MovieLens 10M")
    if r and "seconds" in r["sparse"] and "seconds" in r["dense"]:
        x = r["dense"]["seconds"] / r["sparse"]["seconds"]
        out.append((f"MovieLens 10M shape: sparse {x:.1f}x faster than dense per epoch at "
                    f"batch {scale['batch']} (target: at least {TARGET_10M:.0f}x; aim 10x)",
                    x >= TARGET_10M))
    r = rows.get("MovieLens 20M")
    if r and "seconds" in r["sparse"]:
        s = r["sparse"]
        gib = s["peak_mib"] / 1024
        out.append((f"MovieLens 20M shape: peak memory {gib:.2f} GiB (target: under "
                    f"{TARGET_20M_GIB:.0f} GiB) and an epoch of {s['seconds']:.1f} s "
                    f"(target: under {TARGET_20M_S:.0f} s) at batch {scale['batch']}, the "
                    "paper command's", gib < TARGET_20M_GIB and s["seconds"] < TARGET_20M_S))
    return out


def render(scale: dict) -> str:
    """The report's section on the sparse path."""
    def cell(res, key, fmt):
        return fmt.format(res[key]) if key in res else "—"

    lines = ["| data | items × users | ratings | dense limit (s) | dense s/epoch | "
             "sparse s/epoch | dense ÷ sparse | sparse ÷ limit | dense peak (GiB) | "
             "sparse peak (GiB) |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    notes = []
    for r in scale["rows"]:
        d, s = r["dense"], r["sparse"]
        ratio = (f"{d['seconds'] / s['seconds']:.1f}" if "seconds" in d and "seconds" in s
                 else "—")
        mark = " \\*" if d.get("extrapolated_from") else ""
        lines.append(
            f"| {r['name']}{'' if r['name'].endswith('100K') else ' shape'} | "
            f"{r['items']:,} × {r['users']:,} | {r['ratings']:,} | {r['limit']:.3f} | "
            f"{cell(d, 'seconds', '{:.3f}')}{mark} | {cell(s, 'seconds', '{:.3f}')} | "
            f"{ratio} | "
            + (f"{s['seconds'] / r['limit']:.3f}" if "seconds" in s else "—") + " | "
            + (f"{d['peak_mib'] / 1024:.2f}{mark}" if "peak_mib" in d else "—") + " | "
            + (f"{s['peak_mib'] / 1024:.2f}" if "peak_mib" in s else "—") + " |")
        if "skipped" in d:
            notes.append(f"- {r['name']}, dense: not run: {d['skipped']}.")
        if "skipped" in s:
            notes.append(f"- {r['name']}, sparse: not run: {s['skipped']}.")
        if d.get("extrapolated_from"):
            notes.append(f"- \\* {r['name']}, dense: trained on the first "
                         f"{d['extrapolated_from']:,} item rows at full width and scaled "
                         f"by {r['items']:,} ÷ {d['extrapolated_from']:,}; the peak memory "
                         "is that of the partial run.")
    return "\n\n".join([
        "## Dense against sparse as the data grows",
        "Each path in a fresh interpreter, one data set after another: the chapter's "
        f"model ({scale['hidden']} hidden units, batch {scale['batch']}, one row per item) "
        "through `autorec_common.torch.train_autorec` (dense) and "
        "`autorec_common.sparse.train_sparse` (sparse), seconds per epoch *with* the "
        "per-epoch evaluation (the median of 3 epochs after a warm-up epoch on 100K and the "
        "1M shape; one epoch after a warm-up on the 10M shape; on 20M and 32M the first "
        "epoch, setup included, so an upper bound), and the process's peak resident memory "
        "(Linux `VmHWM`, everything included). The larger shapes are synthetic "
        "(`autorec_common.sparse.synthetic_split`: the release's numbers of items, users "
        "and ratings at random positions). The dense limit is the epoch's dense "
        "matrix-multiply work at the best rate measured above.",
        "\n".join(lines),
        *(["\n".join(notes)] if notes else []),
        "Targets of issue 25:",
        "\n".join(f"- **{'PASS' if ok else 'FAIL'}** {text}" for text, ok in targets(scale)),
    ])


def readme_sentence(scale: dict) -> str:
    """The README's sentence on how long the paper command's releases take."""
    rows = {r["name"]: r for r in scale["rows"] if "seconds" in r["sparse"]}
    parts = [f"{name[len('MovieLens '):]} {rows[name]['sparse']['seconds']:.1f} s "
             f"(peak {rows[name]['sparse']['peak_mib'] / 1024:.1f} GiB)"
             for name in ("MovieLens 1M", "MovieLens 10M", "MovieLens 20M") if name in rows]
    if not parts:
        return ""
    return (f"**The sparse path** (`autorec_common.sparse`, which `python -m "
            f"autorec_common.paper` trains with) takes per epoch, with its evaluation, at "
            f"batch {scale['batch']} on synthetic matrices of each release's shape: "
            + ", ".join(parts) + ". The paper command trains each of its 5 splits until "
            "the validation RMSE stops improving (at most 200 epochs), so its time is about "
            "5 x that many epochs x these figures; the table in "
            "[bench/results.md](bench/results.md) has the dense path beside them.")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100K and the 1M shape only")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(work(json.loads(args.worker))))
        return 0
    saved = Path(__file__).with_name("results.json")
    best = json.loads(saved.read_text())["cmp"]["best_rate"]
    print(render(compare(best, quick=args.quick)))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    sys.exit(main())
