"""Plot test error against epochs for several runs (``python -m fxp_nn.plot RUN_DIR ... -o fig.png``)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from ._optional import require
from .training import METRICS_JSON


def load_history(run):
    """The per-epoch records of a run directory (or of a metrics.json path)."""
    path = Path(run)
    if path.is_dir():
        path = path / METRICS_JSON
    return json.loads(path.read_text())


def plot_runs(runs, output, labels=None, title=None, metric="test_error"):
    """Draw ``metric`` (in percent) against epochs, one line per run, and save to ``output``.

    Parameters
    ----------
    runs : list of path
        Run directories (holding metrics.json) or metrics.json files.
    output : path
        Image file (the suffix selects the format).
    labels : list of str, optional
        Legend entries; default the runs' policy names.
    title : str, optional
    metric : str, default "test_error"
        Any per-epoch record field, e.g. "train_error" or "loss".
    """
    require("matplotlib", "plot").use("Agg")
    plt = require("matplotlib.pyplot", "plot")
    MaxNLocator = require("matplotlib.ticker", "plot").MaxNLocator

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for i, run in enumerate(runs):
        history = load_history(run)
        label = labels[i] if labels else (history[0]["policy"] if history else str(run))
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
    """Command line of :func:`plot_runs`."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("runs", nargs="+", help="run directories or metrics.json files")
    p.add_argument("-o", "--output", default="test_error.png")
    p.add_argument("--labels", help="comma-separated legend entries")
    p.add_argument("--title")
    p.add_argument("--metric", default="test_error")
    args = p.parse_args(argv)
    plot_runs(args.runs, args.output, args.labels.split(",") if args.labels else None, args.title, args.metric)
    print(args.output)


if __name__ == "__main__":
    main()
