"""Draw the energy model's figures in docs/results/ (computed, not timed).

Run from the repository root::

    python bench/energy_figures.py

It writes ``docs/results/energy_breakdown.png`` (energy per component of one training step of the
MLP 784-1000-1000-10 for each precision preset) and ``docs/results/energy_word_length.png``
(total energy, and rounding + RNG energy, against word length). The PNGs carry no software
version or date, so the same code gives the same bytes.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from fxp_nn.energy import compare, mlp_workload, plot_breakdown, plot_word_length, sweep_word_length  # noqa: E402

DPI = 80
PNG_METADATA = {"Software": None}   # matplotlib would otherwise write its version into the file


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out-dir", default="docs/results")
    args = p.parse_args(argv)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)

    work = mlp_workload([784, 1000, 1000, 10])
    ax = plot_breakdown(compare(work))
    ax.set_title("MLP 784-1000-1000-10 training step, 32x32 OS, 45 nm")
    fig = ax.figure
    fig.tight_layout()
    fig.savefig(out / "energy_breakdown.png", dpi=DPI, metadata=PNG_METADATA)
    plt.close(fig)

    rows = sweep_word_length(work)
    for r in rows:
        r["rounding_rng_uj"] = r["rounding_uj"] + r["rng_uj"]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    plot_word_length(rows, ax=a)
    plot_word_length(rows, y="rounding_rng_uj", ax=b, log=False)
    a.set_title("training step, total")
    b.set_title("rounding + RNG only")
    fig.tight_layout()
    fig.savefig(out / "energy_word_length.png", dpi=DPI, metadata=PNG_METADATA)
    plt.close(fig)
    print(out / "energy_breakdown.png", out / "energy_word_length.png")


if __name__ == "__main__":
    main()
