"""One SGD step of the MLP 784-1000-1000-10 at batch 100: Gupta policy vs float32 policy vs PyTorch.

pytest-benchmark::

    python -m pytest bench/bench_nn.py --benchmark-only

Table with ratios and peak memory (each policy's peak RSS measured in its own process)::

    python bench/bench_nn.py [--threads N] [--repeats R]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SIZES = [784, 1000, 1000, 10]
BATCH = 100


def _batch(seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((BATCH, 784), dtype=np.float32), rng.integers(0, 10, BATCH)


def make_fxp_step(policy_name, n_threads=None):
    """A closure running one forward/backward/update of the MLP under ``policy_name``."""
    import fxp.random
    from fxp_nn import SGD, PrecisionPolicy, SoftmaxCrossEntropy, mlp

    policy = PrecisionPolicy.float32() if policy_name == "float32" else PrecisionPolicy.gupta()
    model = mlp(SIZES, policy=policy, seed=0)
    model.rng = fxp.random.Xoroshiro128Plus(0)
    model.n_threads = n_threads
    optimizer = SGD(model, 0.01)
    loss_fn = SoftmaxCrossEntropy()
    x, y = _batch()

    def step():
        loss_fn.forward(np.asarray(model.forward(x), dtype=np.float64), y)
        model.backward(loss_fn.backward())
        optimizer.step()

    step()  # quantizes the float64 initial weights once
    return step


def make_torch_step():
    """The same step in PyTorch CPU float32 (``torch.nn``), or None without torch."""
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        layers.append(torch.nn.Linear(n_in, n_out))
        if i < len(SIZES) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = (torch.from_numpy(a) for a in _batch())

    def step():
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

    step()
    return step


@pytest.mark.parametrize("policy", ["float32", "gupta"])
def test_mlp_step(benchmark, policy):
    benchmark.group = "MLP 784-1000-1000-10 training step, batch 100"
    benchmark(make_fxp_step(policy))


def test_mlp_step_torch(benchmark):
    step = make_torch_step()
    if step is None:
        pytest.skip("torch is not installed")
    benchmark.group = "MLP 784-1000-1000-10 training step, batch 100"
    benchmark(step)


def _best_times(steps, repeats):
    """Best and median seconds of each step.

    Each step runs in blocks of back-to-back calls (after one untimed call), in two passes over
    the steps, forward then backward, so a load change hits every step alike.  Alternating steps
    call by call would not do: after a numpy (OpenBLAS) or torch call their idle worker threads
    spin for a while on the cores the next step's OpenMP threads need.
    """
    times = {name: [] for name in steps}
    block = max(1, repeats // 2)
    for order in (list(steps), list(steps)[::-1]):
        for name in order:
            steps[name]()
            for _ in range(block):
                start = time.perf_counter()
                steps[name]()
                times[name].append(time.perf_counter() - start)
    return {name: (min(t), float(np.median(t))) for name, t in times.items()}


def _peak_rss_mib(kind, threads):
    """Peak RSS (MiB, VmHWM: ru_maxrss would include the parent's) of a fresh process running 3 steps."""
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); sys.argv = ['x'];"
            "import bench.bench_nn as b;"
            f"s = b.make_torch_step() if {kind!r} == 'torch' else b.make_fxp_step({kind!r}, {threads});"
            "[s() for _ in range(3)];"
            "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return int(out.stdout.split()[-1]) / 1024


def main(argv=None):
    """Print best and median step times, ratios to the float32 policy and to torch, and peak memory."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=None, help="fxp GEMM threads (default: all)")
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--json", help="also write the results to this file")
    args = p.parse_args(argv)
    steps = {"float32 policy": make_fxp_step("float32", args.threads),
             "Gupta policy (16-bit, FL=14, SR)": make_fxp_step("gupta", args.threads)}
    torch_step = make_torch_step()
    if torch_step is not None:
        import torch
        steps[f"PyTorch {torch.__version__} CPU float32 ({torch.get_num_threads()} threads)"] = torch_step
    kinds = {"float32 policy": "float32", "Gupta policy (16-bit, FL=14, SR)": "gupta"}
    results = {}
    for name, (best, median) in _best_times(steps, args.repeats).items():
        kind = kinds.get(name, "torch")
        results[name] = {"best_ms": 1e3 * best, "median_ms": 1e3 * median,
                         "peak_rss_mib": _peak_rss_mib(kind, args.threads)}
    base = results["float32 policy"]["best_ms"]
    torch_ms = next((r["best_ms"] for n, r in results.items() if n.startswith("PyTorch")), None)
    print(f"{'step':<44}{'best ms':>9}{'median ms':>11}{'vs float32':>12}{'vs torch':>10}{'peak RSS MiB':>14}")
    for name, r in results.items():
        vs_torch = f"{r['best_ms'] / torch_ms:.2f}x" if torch_ms else "-"
        print(f"{name:<44}{r['best_ms']:>9.1f}{r['median_ms']:>11.1f}{r['best_ms'] / base:>11.2f}x"
              f"{vs_torch:>10}{r['peak_rss_mib']:>14.0f}")
    print(f"load average: {os.getloadavg()[0]:.2f}; OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
