"""Plot test error against epochs for several runs (``fxp-plot RUN_DIR ... -o fig.png``)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ._argparse import OneLineParser
from ._optional import require
from .model import describe_policies
from .training import CONFIG_JSON, METRICS_JSON


def load_history(run):
    """The per-epoch records of a run directory (or of a metrics.json path).

    Raises
    ------
    FileNotFoundError
        No metrics.json there.
    ValueError
        The file is not a JSON list of records (the message names it).
    """
    path = Path(run)
    if path.is_dir():
        path = path / METRICS_JSON
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file (a run directory holds {METRICS_JSON})")
    try:
        history = json.loads(path.read_text())
    except ValueError as exc:
        raise ValueError(f"{path}: not a metrics file ({exc})") from None
    if not isinstance(history, list):
        raise ValueError(f"{path}: not a metrics file (expected a list of per-epoch records)")
    return history


def run_label(run, history):
    """Legend entry of a run: the policies it used.

    From the records when they carry them (``"A -> B"`` when a precision schedule changed them),
    else from the run's config.json, else the first record's policy name.
    """
    used = list(dict.fromkeys(describe_policies(r["policies"]) for r in history if "policies" in r))
    if used:
        return used[0] if len(used) == 1 else f"{used[0]} -> {used[-1]}"
    path = Path(run)
    config = (path if path.is_dir() else path.parent) / CONFIG_JSON
    if config.is_file():
        try:
            policies = json.loads(config.read_text()).get("policies")
        except ValueError:
            policies = None
        if policies:
            return policies
    return history[0]["policy"] if history else str(run)


def plot_runs(runs, output, labels=None, title=None, metric="test_error"):
    """Draw ``metric`` (in percent) against epochs, one line per run, and save to ``output``.

    Parameters
    ----------
    runs : list of path
        Run directories (holding metrics.json) or metrics.json files.
    output : path
        Image file (the suffix selects the format).
    labels : list of str, optional
        Legend entries; default the policies each run used (:func:`run_label`).
    title : str, optional
    metric : str, default "test_error"
        Any per-epoch record field, e.g. "train_error" or "loss".
    """
    require("matplotlib", "plot").use("Agg")
    plt = require("matplotlib.pyplot", "plot")
    MaxNLocator = require("matplotlib.ticker", "plot").MaxNLocator

    if labels and len(labels) != len(runs):
        raise ValueError(f"{len(labels)} labels for {len(runs)} runs")
    histories = [load_history(run) for run in runs]
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for i, (run, history) in enumerate(zip(runs, histories)):
        if history and metric not in history[0]:
            raise ValueError(f"{run}: the records have no {metric!r}; they have {sorted(history[0])}")
        label = labels[i] if labels else run_label(run, history)
        epochs = [r["epoch"] for r in history]
        scale = 100 if metric.endswith("error") else 1
        ax.plot(epochs, [scale * r[metric] for r in history], marker="o", markersize=3, label=label)
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(metric.replace("_", " ") + (" (%)" if metric.endswith("error") else ""))
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    # no software version or date in the file: the same runs give the same bytes
    fig.savefig(output, dpi=120, metadata={"Software": None} if str(output).lower().endswith(".png") else None)
    plt.close(fig)
    return output


def main(argv=None):
    """Command line of :func:`plot_runs` (``fxp-plot``); returns the exit status (2 for a user error)."""
    p = OneLineParser(prog="fxp-plot", description=__doc__.splitlines()[0],
                      formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("runs", nargs="+", help="run directories or metrics.json files")
    p.add_argument("-o", "--output", default="test_error.png", help="image file (the suffix selects the format)")
    p.add_argument("--labels", help="comma-separated legend entries (default: the policies each run used)")
    p.add_argument("--title", help="figure title")
    p.add_argument("--metric", default="test_error", help="per-epoch record field to plot")
    args = p.parse_args(argv)
    try:
        plot_runs(args.runs, args.output, args.labels.split(",") if args.labels else None, args.title, args.metric)
    except (OSError, ValueError) as exc:
        return p.fail(exc)
    print(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
