"""GEMM throughput: fxp.matmul (bounded accumulator) against numpy matmul in the same process.

pytest-benchmark (short by default: sizes 256 and 512)::

    python -m pytest bench/bench_gemm.py --benchmark-only
    FXP_BENCH_SIZES=256,512,1024,2048 python -m pytest bench/bench_gemm.py --benchmark-only

Report for docs/results/gemm.md (min-of-N timings, ratios to numpy float32, plot)::

    PYTHONPATH=. python bench/bench_gemm.py --sizes 256 512 1024 2048 --threads 1 2 --plot docs/results/gemm.png

The MLP training GEMMs of ``bench/bench_nn.py`` (batch 100, 784-1000-1000-10, Gupta policy)::

    PYTHONPATH=. python bench/bench_gemm.py --nn --threads 1 2

Cases (square n x n x n):

* ``fxp16``: s16.12 operands uniform in [-1, 1), 32-bit saturating accumulator (Q7.24),
  output rounded to s16.12 (nearest even); no accumulator overflow occurs.
* ``fxp16_sr``: the same with stochastic output rounding.
* ``fxp8``: s8.6 operands uniform in [-2, 2), 32-bit saturating accumulator, output s8.6.
* ``fxp16_sat_rows``: 15 % of the rows of A hold 7.99 and B is biased by +0.25, so those
  rows' outputs saturate mid-sum (>= 10 % of all outputs).
* ``fxp16_sat_scattered``: 35 % of the rows x 35 % of the columns (12 % of the outputs,
  spread over a third of the rows) saturate.
* ``np_f32`` / ``np_f64`` / ``np_i64``: numpy matmul on the same values as float32,
  on the raw integers as float64, and as int64 (np_i64 skipped above 1024: it is not BLAS).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np
import pytest

import fxp
from fxp._gemm import accumulate_raw
from fxp._reference_gemm import accumulate_reference

FMT16 = fxp.Format(16, 12)
FMT8 = fxp.Format(8, 6)
ACC_BITS = 32
CASES = ["fxp16", "fxp16_sr", "fxp8", "fxp16_sat_rows", "fxp16_sat_scattered",
         "np_f32", "np_f64", "np_i64"]


def _env_list(name, default):
    return [int(v) for v in os.environ.get(name, default).split(",") if v]


def operands(case, n, seed=0):
    """(a, b) FxpArrays of the case (or, for numpy cases, the fxp16 operands)."""
    rng = np.random.default_rng(seed)
    if case == "fxp8":
        return (fxp.asarray(rng.uniform(-2, 2, (n, n)), FMT8),
                fxp.asarray(rng.uniform(-2, 2, (n, n)), FMT8))
    a = rng.uniform(-1, 1, (n, n))
    b = rng.uniform(-1, 1, (n, n))
    if case == "fxp16_sat_rows":
        a[rng.random(n) < 0.15] = 7.99
        b += 0.25
    elif case == "fxp16_sat_scattered":
        a[rng.random(n) < 0.35] = 7.99
        b[:, rng.random(n) < 0.35] += 0.25
    return fxp.asarray(a, FMT16), fxp.asarray(b, FMT16)


def make_call(case, n, n_threads):
    """A zero-argument callable running one product of the case."""
    a, b = operands(case, n)
    if case == "np_f32":
        x, y = a.to_float().astype(np.float32), b.to_float().astype(np.float32)
        return lambda: x @ y
    if case == "np_f64":
        x, y = a.raw.astype(np.float64), b.raw.astype(np.float64)
        return lambda: x @ y
    if case == "np_i64":
        x, y = a.raw.astype(np.int64), b.raw.astype(np.int64)
        return lambda: x @ y
    rounding = "stochastic" if case == "fxp16_sr" else "nearest_even"
    return lambda: fxp.matmul(a, b, out_format=a.fmt, acc_bits=ACC_BITS, rounding=rounding, rng=1,
                              n_threads=n_threads)


def saturated_fraction(case, n):
    """Fraction of outputs whose accumulator saturated (checked by the kernel)."""
    a, b = operands(case, n)
    _, hits, _ = accumulate_raw(a.raw, b.raw, ACC_BITS)
    return hits / (n * n)


class _limit_blas:
    """numpy's BLAS thread count (threadpoolctl) for the numpy cases."""

    def __init__(self, n_threads):
        from threadpoolctl import threadpool_limits
        self._limits = threadpool_limits(limits=n_threads, user_api="blas")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._limits.restore_original_limits()


# --- pytest-benchmark -----------------------------------------------------------------------

@pytest.mark.parametrize("n_threads", _env_list("FXP_BENCH_THREADS", "1,2"))
@pytest.mark.parametrize("n", _env_list("FXP_BENCH_SIZES", "256,512"))
@pytest.mark.parametrize("case", CASES)
def test_gemm(benchmark, case, n, n_threads):
    if case == "np_i64" and n > 1024:
        pytest.skip("numpy int64 matmul is not BLAS: minutes at this size")
    if case.startswith("fxp") and n <= 512:
        a, b = operands(case, n)   # the kernel agrees with the sequential reference
        ref, _ = accumulate_reference(a.raw, b.raw, ACC_BITS)
        np.testing.assert_array_equal(accumulate_raw(a.raw, b.raw, ACC_BITS)[0], ref)
    benchmark.group = f"gemm n={n} threads={n_threads}"
    benchmark.extra_info["gmac"] = n ** 3 / 1e9
    call = make_call(case, n, n_threads)
    with _limit_blas(n_threads):
        benchmark(call)


# --- report ----------------------------------------------------------------------------------

def measure(sizes, threads, repeats):
    """{threads: {n: {case: seconds}}}: min over repeats.

    Each case runs its repeats back to back (after one warm-up call), in two passes over
    the cases (forward, then backward) so that slow drifts of the machine's load hit every
    case alike.  Repeats are not interleaved call by call: the idle worker threads of one
    library (OpenBLAS, OpenMP) keep spinning for a while after its call and would steal
    the cores from the other's threads.
    """
    results = {}
    for t in threads:
        results[t] = {}
        for n in sizes:
            cases = [c for c in CASES if not (c == "np_i64" and n > 1024)]
            calls = {c: make_call(c, n, t) for c in cases}
            best = {c: float("inf") for c in cases}
            reps = repeats if n <= 1024 else max(2, repeats // 2)
            with _limit_blas(t):
                for order in (cases, cases[::-1]):
                    for c in order:
                        calls[c]()   # warm-up
                        for _ in range(max(1, reps // 2)):
                            t0 = time.perf_counter()
                            calls[c]()
                            best[c] = min(best[c], time.perf_counter() - t0)
            results[t][n] = best
            print(f"threads={t} n={n}: " + ", ".join(
                f"{c} {n ** 3 / s / 1e9:.1f}" for c, s in best.items()) + " GMAC/s", flush=True)
    return results


def nn_gemms():
    """The GEMMs of one training step of ``bench/bench_nn.py`` (Gupta policy), captured with
    their operands as the layers pass them: [{argument: value}], the larger ones."""
    import inspect

    import fxp._gemm
    from bench_nn import make_fxp_step

    calls, inner = [], fxp._gemm.gemm_raw

    def capture(*args, **kwargs):
        calls.append(inspect.signature(inner).bind(*args, **kwargs).arguments)
        return inner(*args, **kwargs)

    step = make_fxp_step("gupta", n_threads=1)
    fxp._gemm.gemm_raw = capture
    try:
        step()
    finally:
        fxp._gemm.gemm_raw = inner
    return [c for c in calls if np.prod(c["a_raw"].shape) * c["b_raw"].shape[-1] >= 10 ** 6]


def measure_nn(threads, repeats):
    """Markdown table: the MLP's training GEMMs (operands captured from one step) against
    numpy float32 on the same values and layouts; min over repeats, alternated per GEMM."""
    import fxp._gemm
    lines = ["| GEMM (M x K x N), A / B layout | threads | fxp ms | numpy f32 ms | ratio |",
             "|---|---|---|---|---|"]
    layout = {True: "C", False: "T"}
    for t in threads:
        for kwargs in nn_gemms():
            kwargs["n_threads"] = t
            a_raw, b_raw = kwargs["a_raw"], kwargs["b_raw"]
            x = (a_raw * 2.0 ** -kwargs["fa"].frac_bits).astype(np.float32)
            y = (b_raw * 2.0 ** -kwargs["fb"].frac_bits).astype(np.float32)
            x = x if a_raw.flags.c_contiguous else np.asfortranarray(x)
            y = y if b_raw.flags.c_contiguous else np.asfortranarray(y)
            calls = {"fxp": lambda: fxp._gemm.gemm_raw(**kwargs),
                     "np": lambda: x @ y}
            best = {c: float("inf") for c in calls}
            with _limit_blas(t):
                for _ in range(2):
                    for c, f in calls.items():
                        f()
                        for _ in range(repeats):
                            t0 = time.perf_counter()
                            f()
                            best[c] = min(best[c], time.perf_counter() - t0)
            (m, k), n = a_raw.shape, b_raw.shape[1]
            lines.append(f"| {m} x {k} x {n}, {layout[a_raw.flags.c_contiguous]} / "
                         f"{layout[b_raw.flags.c_contiguous]} | {t} | {best['fxp'] * 1e3:.2f} | "
                         f"{best['np'] * 1e3:.2f} | {best['np'] / best['fxp']:.2f}x |")
    return "\n".join(lines)


def markdown(results, sizes):
    lines = []
    for t, per_size in results.items():
        lines.append(f"\n**{t} thread{'s' if t > 1 else ''}** (GMAC/s; ratio to numpy float32)\n")
        lines.append("| case | " + " | ".join(str(n) for n in sizes) + " |")
        lines.append("|---|" + "---|" * len(sizes))
        for c in CASES:
            cells = []
            for n in sizes:
                s = per_size[n].get(c)
                if s is None:
                    cells.append("-")
                else:
                    ratio = per_size[n]["np_f32"] / s
                    cells.append(f"{n ** 3 / s / 1e9:.1f} ({ratio:.2f}x)")
            lines.append(f"| {c} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(results, sizes, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(6 * len(results), 4.5), squeeze=False)
    for ax, (t, per_size) in zip(axes[0], results.items()):
        for c in CASES:
            xs = [n for n in sizes if c in per_size[n]]
            ys = [n ** 3 / per_size[n][c] / 1e9 for n in xs]
            ax.plot(xs, ys, marker="o", linestyle="--" if c.startswith("np") else "-", label=c)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("n (n x n x n)")
        ax.set_ylabel("GMAC/s")
        ax.set_title(f"{t} thread{'s' if t > 1 else ''}")
        ax.grid(True, alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": None})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--plot", help="write a PNG plot here")
    parser.add_argument("--json", help="write the raw timings here")
    parser.add_argument("--nn", action="store_true", help="the MLP training GEMMs instead")
    args = parser.parse_args(argv)
    if args.nn:
        print(measure_nn(args.threads, max(args.repeats, 10)))
        return 0
    for case in ("fxp16_sat_rows", "fxp16_sat_scattered"):
        print(f"{case}: {saturated_fraction(case, args.sizes[0]):.1%} of outputs saturate "
              f"(n={args.sizes[0]})")
    results = measure(args.sizes, args.threads, args.repeats)
    print(markdown(results, args.sizes))
    if args.plot:
        plot(results, args.sizes, args.plot)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({str(t): {str(n): r for n, r in v.items()} for t, v in results.items()}, fh,
                      indent=1)


if __name__ == "__main__":
    sys.exit(main())
