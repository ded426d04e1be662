"""The rest of the array API vs numpy float64 on the same values, in the same process.

Run: python -m pytest bench/bench_ops.py --benchmark-only -q
1e6 elements of s16.12 (a 1000 x 1000 matrix for the axis reductions), one thread.  The
numpy side is what a user would otherwise write on float64 values.  Every pair is checked to
agree (values) before timing.
"""
import numpy as np
import pytest

import fxp

FMT = fxp.Format(16, 12)
N = 10**6
_RNG = np.random.default_rng(0)
A = fxp.asarray(_RNG.uniform(-4, 4, N), FMT)
B = fxp.asarray(_RNG.uniform(-4, 4, N), FMT)
XA, XB = A.to_float(), B.to_float()
M, XM = A.reshape(1000, 1000), XA.reshape(1000, 1000)
P = A * B   # s32.24: int32 raws, like a GEMM's accumulators
XP = P.to_float()

CASES = {   # name: (fxp, numpy float64)
    "a + b (exact)": (lambda: A + B, lambda: XA + XB),
    "a * b (exact)": (lambda: A * B, lambda: XA * XB),
    "a * b -> s16.12": (lambda: fxp.multiply(A, B, out_format=FMT),
                        lambda: np.clip(np.rint(XA * XB * 4096), -32768, 32767) / 4096),
    "-a": (lambda: -A, lambda: -XA),
    "abs(a)": (lambda: abs(A), lambda: np.abs(XA)),
    "a < b": (lambda: A < B, lambda: XA < XB),
    "maximum(a, b)": (lambda: fxp.maximum(A, B), lambda: np.maximum(XA, XB)),
    "a.sum()": (lambda: A.sum(), lambda: XA.sum()),
    "a.sum(axis=0)": (lambda: M.sum(axis=0), lambda: XM.sum(axis=0)),
    "a.max(axis=1)": (lambda: M.max(axis=1), lambda: XM.max(axis=1)),
    "a.astype(s8.4)": (lambda: A.astype("s8.4"), lambda: np.clip(np.rint(XA * 16), -128, 127) / 16),
    "a.astype(s32.20)": (lambda: A.astype("s32.20"), lambda: XA.copy()),
    "s32.24 -> s16.12": (lambda: P.astype(FMT), lambda: np.clip(np.rint(XP * 4096), -32768, 32767) / 4096),
    "np.asarray(a)": (lambda: np.asarray(A), lambda: XA.copy()),
    "a[::2] + b[::2]": (lambda: A[::2] + B[::2], lambda: XA[::2] + XB[::2]),
}


def _values(x):
    return np.asarray(x, dtype=np.float64)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("impl", ["fxp", "numpy"])
def test_ops_1e6(benchmark, record, case, impl):
    fxp_fn, np_fn = CASES[case]
    got = fxp_fn()
    if case == "a.sum()":   # 1e6 elements: the exact sum's format is trimmed to 32 bits
        assert abs(float(got) - np_fn()) <= got.fmt.resolution
    else:
        np.testing.assert_array_equal(_values(got), np_fn())
    benchmark.group = case
    with fxp.config(n_threads=1):
        benchmark(fxp_fn if impl == "fxp" else np_fn)
    elements = N // 2 if "::2" in case else N
    record(benchmark, case, "fxp 1 thread" if impl == "fxp" else "numpy", elements)
