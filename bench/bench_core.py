"""Core elementwise kernels vs numpy in the same process (issue 2 targets).

Run: python -m pytest bench/bench_core.py --benchmark-only -q
Cases: 1e6 float64 in U(-10, 10) -> s16.12 (about 20 % saturate) on one thread, and the same
on 1e7 elements with 1 and 2 threads.  Every implementation is checked once before timing.
"""
import numpy as np
import pytest

import fxp
from fxp import _reference as ref

FMT = fxp.Format(16, 12)
N_SMALL, N_LARGE = 10**6, 10**7
_DATA = {}


def data(n):
    if n not in _DATA:
        rng = np.random.default_rng(0)
        x, y = rng.uniform(-10, 10, n), rng.uniform(-10, 10, n)
        _DATA[n] = (x, y, fxp.asarray(x, FMT), fxp.asarray(y, FMT))
    return _DATA[n]


# numpy baselines (int16 raws; the same semantics as fxp)
def np_quantize(x):
    return np.clip(np.rint(x * 4096.0), -32768, 32767).astype(np.int16)


def np_quantize_sr(x, gen):
    return np.clip(np.floor(x * 4096.0 + gen.random(x.size)), -32768, 32767).astype(np.int16)


def np_add(a, b):
    return np.clip(a.astype(np.int32) + b, -32768, 32767).astype(np.int16)


def np_mul(a, b):
    p = a.astype(np.int32) * b
    q, rem = p >> 12, p & 4095
    q += (rem > 2048) | ((rem == 2048) & ((q & 1) == 1))
    return np.clip(q, -32768, 32767).astype(np.int16)


CASES = {
    "quantize nearest_even+saturate": (
        lambda x, y, a, b: fxp.asarray(x, FMT),
        lambda x, y, a, b: np_quantize(x)),
    "quantize stochastic+saturate": (
        lambda x, y, a, b: fxp.asarray(x, FMT, "stochastic", rng=1),
        lambda x, y, a, b: np_quantize_sr(x, np.random.default_rng(1))),
    "add saturate": (
        lambda x, y, a, b: fxp.add(a, b, out_format=FMT),
        lambda x, y, a, b: np_add(a.raw, b.raw)),
    "multiply nearest_even+saturate": (
        lambda x, y, a, b: fxp.multiply(a, b, out_format=FMT),
        lambda x, y, a, b: np_mul(a.raw, b.raw)),
}


def _check(case, args):
    fxp_fn, np_fn = CASES[case]
    got = fxp_fn(*args).raw
    if "stochastic" in case:
        x = args[0][:2000]
        expected, _ = ref.quantize(x, FMT, "stochastic", "saturate", fxp.random.Xoroshiro128Plus(1).random_raw())
        np.testing.assert_array_equal(got[:2000], expected)
        assert abs((got.astype(np.float64) - np_fn(*args)).mean()) < 0.01   # same distribution
    else:
        np.testing.assert_array_equal(got, np_fn(*args))


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("impl", ["fxp", "numpy"])
def test_single_thread_1e6(benchmark, record, case, impl):
    args = data(N_SMALL)
    _check(case, args)
    fxp_fn, np_fn = CASES[case]
    fn = fxp_fn if impl == "fxp" else np_fn
    benchmark.group = case + " 1e6"
    with fxp.config(n_threads=1):
        benchmark(fn, *args)
    record(benchmark, case + " 1e6", "fxp 1 thread" if impl == "fxp" else "numpy", N_SMALL)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("n_threads", [1, 2])
def test_threads_1e7(benchmark, record, case, n_threads):
    args = data(N_LARGE)
    fxp_fn, _ = CASES[case]
    benchmark.group = case + " 1e7"
    with fxp.config(n_threads=n_threads):
        benchmark.pedantic(fxp_fn, args=args, rounds=15, iterations=1, warmup_rounds=2)
    record(benchmark, case + " 1e7", f"fxp {n_threads} thread" + ("s" if n_threads > 1 else ""), N_LARGE)
