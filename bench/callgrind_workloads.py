"""Fixed workloads for instruction counts with callgrind, which do not depend on the load.

One case a run on seeded operands, one thread (the GEMM cases repeat their product three times):

* GEMM cases (``fxp.matmul``, 256 x 256 x 256): ``sat32`` (s16.12, 32-bit saturating
  accumulator that never overflows: driver 1), ``wide`` (the exact default accumulator),
  ``satrows`` (15 % of the rows saturate mid-sum: driver 2), ``acc20`` (20-bit saturating:
  checkpoints), ``int8`` (s8.6 operands), ``wrap24`` (24-bit wrapping);
* ``elementwise`` (the elementwise kernels on 200k elements): quantize, int16 add and multiply,
  the int32 -> int16 requantize and an int16 x int32 product, each in three rounding modes.

Count the instructions inside the C entry points, from the repository root::

    FXP_SIMD_LEVEL=1 valgrind --tool=callgrind --toggle-collect=fxp_gemm \\
        --callgrind-out-file=build/cg.out python bench/callgrind_workloads.py sat32
    FXP_SIMD_LEVEL=1 valgrind --tool=callgrind --toggle-collect=fxp_int_op \\
        --toggle-collect=fxp_quantize --callgrind-out-file=build/cg.out \\
        python bench/callgrind_workloads.py elementwise

and read the ``summary:`` line of ``build/cg.out``.  Each run prints a checksum of its results,
so two builds can be compared for both speed and bits.
"""
import sys

import numpy as np

import fxp
from fxp._kernels import _elementwise as E

N = 256
RNG = np.random.default_rng(0)
S16, S8 = fxp.Format(16, 12), fxp.Format(8, 6)


def _gemm_operands():
    a = fxp.asarray(RNG.uniform(-1, 1, (N, N)), S16)
    b = fxp.asarray(RNG.uniform(-1, 1, (N, N)), S16)
    hot = RNG.uniform(-1, 1, (N, N))
    hot[: N * 15 // 100] = 7.99
    sat_a = fxp.asarray(hot, S16)
    sat_b = fxp.asarray(RNG.uniform(-1, 1, (N, N)) + 0.25, S16)
    a8 = fxp.asarray(RNG.uniform(-2, 2, (N, N)), S8)
    b8 = fxp.asarray(RNG.uniform(-2, 2, (N, N)), S8)
    return {
        "sat32": lambda: fxp.matmul(a, b, out_format=S16, acc_bits=32, n_threads=1),
        "wide": lambda: fxp.matmul(a, b, out_format=S16, n_threads=1),
        "satrows": lambda: fxp.matmul(sat_a, sat_b, out_format=S16, acc_bits=32, n_threads=1),
        "acc20": lambda: fxp.matmul(a, b, out_format=S16, acc_bits=20, n_threads=1),
        "int8": lambda: fxp.matmul(a8, b8, out_format=S8, acc_bits=32, n_threads=1),
        "wrap24": lambda: fxp.matmul(a, b, out_format=S16, acc_bits=24, acc_overflow="wrap", n_threads=1),
    }


def _elementwise():
    n = 200_000
    x = np.random.default_rng(0).uniform(-10, 10, n)
    a = np.clip(np.rint(x * 4096), -32768, 32767).astype(np.int16)
    b, a32 = a[::-1].copy(), a.astype(np.int32)
    lr = np.array([0x4D2F5A7B], np.int32)
    out = np.empty(n, np.int16)
    sat = E.OVERFLOW_CODES["saturate"]
    for mode in ("nearest_even", "floor", "stochastic"):
        target = E.Target(np.int16, lo=-32768, hi=32767, w=16, rounding=E.ROUNDING_CODES[mode],
                          overflow=sat)
        E.quantize(x, target, frac_bits=12, out=out, key=7)
        E.int_op("add", a, b, target, out=out, key=7)
        E.int_op("multiply", a, b, target, out=out, s=12, key=7)
        E.int_op("copy", a32, a32, target, out=out, s=12, key=7)
        E.int_op("multiply", a, lr, target, out=out, s=36, key=7)
    return out


def main(case):
    if case == "elementwise":
        out = _elementwise()
    else:
        cases = _gemm_operands()
        if case not in cases:
            print(f"unknown case {case!r}; choose elementwise or one of {sorted(cases)}", file=sys.stderr)
            sys.exit(2)
        for _ in range(3):
            out = cases[case]().raw
    print(case, int(np.asarray(out, dtype=np.int64).sum()))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python bench/callgrind_workloads.py CASE", file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])
