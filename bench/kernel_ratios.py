"""Elementwise kernel times relative to a numpy pass over the same data, for A/B comparisons.

Run from the root of a built checkout (the fxp found through PYTHONPATH is timed):

    PYTHONPATH=. python bench/kernel_ratios.py [n] [rounds] [levels]

Each case calls the C kernel directly (no Python-level validation) on n float64 values in
U(-10, 10) to s16.12 (or their int16 raws), on one thread.  Cases and the baseline
``np.multiply(x, 4096.0, out=buf)`` run interleaved, ``rounds`` times each, and the best time
of each is divided by the baseline's.  Comparing two checkouts this way (in alternating
processes) cancels most of the load of a shared machine.  ``levels`` (e.g. ``2,1,0``) times
every case at each of those SIMD levels, interleaved in the same process (default: the best).
"""
import sys
import time

import numpy as np

from fxp._kernels import _elementwise as E

LO, HI, W = -32768, 32767, 16
SATURATE = E.OVERFLOW_CODES["saturate"]


def cases(n):
    x = np.random.default_rng(0).uniform(-10, 10, n)
    a = np.clip(np.rint(x * 4096), LO, HI).astype(np.int16)
    b, a32 = a[::-1].copy(), a.astype(np.int32)
    lr = np.array([0x4D2F5A7B], np.int32)   # the SGD step's lr ~ 0.0188 as s32.36
    out, buf = np.empty(n, np.int16), np.empty(n)

    def target(mode):
        return E.Target(np.int16, lo=LO, hi=HI, w=W, rounding=E.ROUNDING_CODES[mode], overflow=SATURATE)

    def int_op(op, u, v, s, mode):
        return lambda: E.int_op(op, u, v, target(mode), out=out, s=s, key=7)

    def quantize(mode):
        return lambda: E.quantize(x, target(mode), frac_bits=12, out=out, key=7)

    return {
        "np.multiply(x, 4096, out)": lambda: np.multiply(x, 4096.0, out=buf),
        "requantize i32>>12 nearest": int_op("copy", a32, a32, 12, "nearest_even"),
        "add i16+i16": int_op("add", a, b, 0, "nearest_even"),
        "multiply nearest_even": int_op("multiply", a, b, 12, "nearest_even"),
        "multiply floor": int_op("multiply", a, b, 12, "floor"),
        "multiply stochastic": int_op("multiply", a, b, 12, "stochastic"),
        "lr*grad i16 x i32 nearest": int_op("multiply", a, lr, 36, "nearest_even"),
        "lr*grad i16 x i32 stochastic": int_op("multiply", a, lr, 36, "stochastic"),
        "quantize nearest_even": quantize("nearest_even"),
        "quantize floor": quantize("floor"),
        "quantize stochastic": quantize("stochastic"),
    }


def main(n=10**6, rounds=60, levels=None):
    funcs = cases(n)
    levels = [E.simd_level(lvl) for lvl in levels or [-1]]
    best = {(name, lvl): float("inf") for name in funcs for lvl in levels}
    for _ in range(rounds):
        for lvl in levels:
            E.simd_level(lvl)
            for name, func in funcs.items():
                start = time.perf_counter()
                func()
                best[name, lvl] = min(best[name, lvl], time.perf_counter() - start)
    E.simd_level(-1)
    base = min(best["np.multiply(x, 4096, out)", lvl] for lvl in levels)
    print(f"n={n}, best of {rounds} interleaved rounds; Melem/s (time / baseline) at SIMD level")
    print(f"{'':28s}" + "".join(f"{f'level {lvl}':>20s}" for lvl in levels))
    for name in funcs:
        cells = (f"{n / best[name, lvl] / 1e6:7.0f} ({best[name, lvl] / base:5.2f}x)" for lvl in levels)
        print(f"{name:28s}" + "".join(f"{cell:>20s}" for cell in cells))


if __name__ == "__main__":
    args = sys.argv[1:]
    main(*(int(float(v)) for v in args[:2]), *([[int(v) for v in args[2].split(",")]] if len(args) > 2 else []))
