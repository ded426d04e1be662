"""Reproduce Gupta et al. 2015 (MLP 784-1000-1000-10 and LeNet) on Fashion-MNIST / MNIST.

Run the configurations (each is resumable: re-running continues from its checkpoint)::

    python bench/reproduce_gupta.py run --epochs 20 [--only mlp-sr14 ...]

then write the table, the run record and the figures into docs/results/::

    python bench/reproduce_gupta.py report --epochs 20

Run directories go under runs/gupta/ (``--runs-dir``); they are not part of the repository,
and ``report`` reads the per-epoch records it plots from them.

Every run trains with plain mini-batch SGD (batch 100, lr 0.01, no momentum, seed 0), as in
the paper's MNIST experiments; the fixed-point runs put every tensor role in <16-FL, FL>.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

from fxp_nn.plot import load_history, plot_runs
from fxp_nn.cli import main as train_main
from fxp_nn.training import CHECKPOINT

# name -> (model args, precision args)
MLP = ["--model", "mlp", "--hidden", "1000,1000"]
CONFIGS = {"mlp-float32": MLP + ["--precision", "float32"]}
for _fl in (14, 10, 8):
    for _short, _mode in (("sr", "stochastic"), ("rn", "nearest_even")):
        CONFIGS[f"mlp-{_short}{_fl}"] = MLP + ["--word-bits", "16", "--frac-bits", str(_fl), "--rounding", _mode]
# the <2,14> logits saturate (see the saturation report); the same run with the last layer's outputs in <6,10>
CONFIGS["mlp-sr14-logits10"] = CONFIGS["mlp-sr14"] + ["--logits-frac-bits", "10"]
CONFIGS["lenet-float32"] = ["--model", "lenet", "--precision", "float32"]
CONFIGS["lenet-sr14"] = ["--model", "lenet", "--word-bits", "16", "--frac-bits", "14", "--rounding", "stochastic"]
CONFIGS["lenet-sr14-logits10"] = CONFIGS["lenet-sr14"] + ["--logits-frac-bits", "10"]

COMMON = ["--batch-size", "100", "--lr", "0.01", "--seed", "0", "--no-progress"]


def command(name, args):
    """The ``fxp-train`` arguments of configuration ``name``."""
    return ["--dataset", args.dataset, *CONFIGS[name], *COMMON, "--epochs", str(args.epochs),
            "--threads", str(args.threads), "--out", str(Path(args.runs_dir) / args.dataset / name)]


def run(args):
    """Train the selected configurations in rounds: every run to the first epoch count, then the next.

    Runs resume from their checkpoints, so an interrupted sweep loses at most one epoch per run
    and every configuration has results however early the sweep is stopped.
    """
    for target in args.rounds or [args.epochs]:
        args.epochs = target
        for name in args.only or CONFIGS:
            argv = command(name, args)
            out = Path(argv[argv.index("--out") + 1])
            if (out / CHECKPOINT).is_file():
                argv.append("--resume")
            print(f"== {name}: fxp-train {' '.join(argv)}", flush=True)
            start = time.perf_counter()
            status = train_main(argv)
            print(f"== {name}: exit {status} after {time.perf_counter() - start:.0f} s", flush=True)


MILESTONES = (1, 2, 5, 10, 15, 20)


def _row(name, history):
    by_epoch = {r["epoch"]: r for r in history}
    cells = [f"{100 * by_epoch[e]['test_error']:.2f}" if e in by_epoch else "-" for e in MILESTONES]
    last = history[-1]
    return (f"| {name} | {len(history)} | " + " | ".join(cells) +
            f" | {100 * last['max_saturation']:.2f} | {sum(r['time_s'] for r in history) / len(history):.0f} |")


def report(args):
    """Write ``gupta_<dataset>_table.md``, ``gupta_<dataset>_runs.json`` and the test-error figures
    (``gupta_<dataset>_mlp.png``, ``..._lenet.png``) into ``--docs`` from the finished epochs."""
    base = Path(args.runs_dir) / args.dataset
    docs = Path(args.docs)
    docs.mkdir(parents=True, exist_ok=True)
    found = {name: load_history(base / name) for name in CONFIGS if (base / name / "metrics.json").is_file()}
    if not found:
        sys.exit(f"no finished epochs under {base}")
    lines = [
        "| run | epochs done | " + " | ".join(f"test error % @{e}" for e in MILESTONES) +
        " | max saturated % (last epoch) | s/epoch |",
        "|---|---|" + "---|" * len(MILESTONES) + "---|---|",
    ]
    lines += [_row(name, history) for name, history in found.items()]
    figures = []
    for prefix in ("mlp", "lenet"):
        names = [n for n in found if n.startswith(prefix)]
        if names:
            figure = docs / f"gupta_{args.dataset}_{prefix}.png"
            plot_runs([base / n for n in names], figure, labels=names,
                      title=f"{args.dataset}, {prefix}: test error vs epochs")
            figures.append(figure.name)
    (docs / f"gupta_{args.dataset}_table.md").write_text("\n".join(lines) + "\n")
    (docs / f"gupta_{args.dataset}_runs.json").write_text(json.dumps(
        {"machine": platform.platform(), "python": platform.python_version(),
         "commands": {n: "fxp-train " + " ".join(command(n, args)) for n in found},
         "final": {n: h[-1] for n, h in found.items()}}, indent=1))
    print("\n".join(lines))
    print("figures:", ", ".join(figures))


def main(argv=None):
    """Command line: ``run`` or ``report``."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("action", choices=("run", "report"))
    p.add_argument("--dataset", default="fashion-mnist", choices=("fashion-mnist", "mnist"))
    p.add_argument("--runs-dir", default="runs/gupta")
    p.add_argument("--docs", default="docs/results", help="output folder of report (default docs/results)")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--rounds", type=lambda t: [int(e) for e in t.split(",")],
                   help="epoch targets of successive rounds over the runs, e.g. 2,5,10 (default: --epochs)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--only", nargs="*", choices=list(CONFIGS))
    args = p.parse_args(argv)
    (run if args.action == "run" else report)(args)


if __name__ == "__main__":
    main()
