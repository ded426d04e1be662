"""Where the time of one MLP training step goes, phase by phase, for two policies side by side.

Wraps the :class:`fxp_nn.numerics.Numerics` methods, the parameter-free layers, the loss and
the optimizer with timers (only the outermost timed call counts, so nothing is counted twice)
and prints the median milliseconds per step of each phase::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python bench/profile_nn_step.py --threads 1 --repeats 20
"""
from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_nn import make_fxp_step  # noqa: E402

from fxp_nn import SoftmaxCrossEntropy, layers, numerics  # noqa: E402

_GEMM_NAMES = {("activations", "forward"): "GEMM forward x@W",
               ("weight_grads", "weight_grad"): "GEMM weight grad x.T@g",
               ("errors", "input_grad"): "GEMM input grad g@W.T"}


UNTIMED = "rest of the step (model and optimizer glue)"


class PhaseTimer:
    """Accumulates seconds per phase label; nested timed calls count for the outer one only."""

    def __init__(self):
        self.totals = defaultdict(float)
        self.depth = 0

    def wrap(self, owner, name, label):
        original = getattr(owner, name)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            if self.depth:
                return original(*args, **kwargs)
            self.depth += 1
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.totals[label(args, kwargs) if callable(label) else label] += time.perf_counter() - start
                self.depth -= 1

        setattr(owner, name, timed)


def _matmul_label(args, kwargs):
    num, a, b, role, gemm = args[:5]
    name = _GEMM_NAMES.get((role, gemm), f"GEMM {role}/{gemm}")
    return f"{name} {a.shape[0]}x{a.shape[1]}x{b.shape[1]} ({num.layer})"


def install(timer):
    """Patch the fxp_nn classes so every phase of a step is timed by ``timer``."""
    N = numerics.Numerics
    timer.wrap(N, "matmul", _matmul_label)
    timer.wrap(N, "bias_grad", "bias grad (sum over the batch)")
    timer.wrap(N, "add", "bias add")
    timer.wrap(N, "to_role", lambda a, k: f"write in role {a[2]} (quantize)")
    timer.wrap(N, "block_outward", "block saturated outputs' gradients")
    timer.wrap(N, "scale", "update: lr * g -> updates")
    timer.wrap(N, "subtract", "update: w - u -> weights")
    for cls in (layers.ReLU, layers.Flatten):
        timer.wrap(cls, "forward", f"{cls.__name__} forward")
        timer.wrap(cls, "backward", f"{cls.__name__} backward")
    timer.wrap(SoftmaxCrossEntropy, "forward", "loss forward (float64)")
    timer.wrap(SoftmaxCrossEntropy, "backward", "loss backward (float64)")


def profile(policies, threads, repeats):
    """Median ms per step of each phase, plus the whole step (key ``"step"``), per policy.

    The policies' steps alternate, so that a change of machine load hits all alike.
    """
    steps = {policy: make_fxp_step(policy, threads) for policy in policies}
    timer = PhaseTimer()
    install(timer)
    per_step = {policy: defaultdict(list) for policy in policies}
    try:
        for _ in range(repeats):
            for policy, step in steps.items():
                timer.totals.clear()
                start = time.perf_counter()
                step()
                elapsed = time.perf_counter() - start
                per_step[policy]["step"].append(elapsed)
                per_step[policy][UNTIMED].append(elapsed - sum(timer.totals.values()))
                for label, seconds in timer.totals.items():
                    per_step[policy][label].append(seconds)
    finally:
        uninstall()
    return {policy: {label: 1e3 * float(np.median(v)) for label, v in phases.items()}
            for policy, phases in per_step.items()}


def uninstall():
    """Undo :func:`install` (restore the wrapped methods)."""
    classes = [numerics.Numerics, layers.ReLU, layers.Flatten, SoftmaxCrossEntropy]
    for cls in classes:
        for name, value in list(vars(cls).items()):
            if hasattr(value, "__wrapped__"):
                setattr(cls, name, value.__wrapped__)


def main(argv=None):
    """Print the per-phase medians of the float32 and Gupta policies."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--repeats", type=int, default=20)
    args = p.parse_args(argv)
    results = profile(("float32", "gupta"), args.threads, args.repeats)
    labels = sorted(set(results["float32"]) | set(results["gupta"]),
                    key=lambda k: (k != "step", k == UNTIMED, -results["gupta"].get(k, 0.0)))
    print(f"{'phase (median ms per step)':<44}{'float32':>9}{'gupta':>9}")
    for label in labels:
        f, g = (results[p].get(label, 0.0) for p in ("float32", "gupta"))
        print(f"{label:<44}{f:>9.2f}{g:>9.2f}")
    print(f"load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
