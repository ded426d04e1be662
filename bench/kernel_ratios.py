"""Elementwise kernel times relative to a numpy pass over the same data, for A/B comparisons.

Run from the root of a built checkout (the fxp found through PYTHONPATH is timed):

    PYTHONPATH=. python bench/kernel_ratios.py [n] [rounds]

Each case calls the C kernel directly (no Python-level validation) on n float64 values in
U(-10, 10) to s16.12 (or their int16 raws), on one thread.  Cases and the baseline
``np.multiply(x, 4096.0, out=buf)`` run interleaved, ``rounds`` times each, and the best time
of each is divided by the baseline's.  Comparing two checkouts this way (in alternating
processes) cancels most of the load of a shared machine.
"""
import sys
import time

import numpy as np

from fxp._kernels import _elementwise as E

LO, HI, W = -32768, 32767, 16
ROUNDING = {"nearest_even": 0, "floor": 2, "stochastic": 4}


def cases(n):
    x = np.random.default_rng(0).uniform(-10, 10, n)
    a = np.clip(np.rint(x * 4096), LO, HI).astype(np.int16)
    b, a32 = a[::-1].copy(), a.astype(np.int32)
    lr = np.array([0x4D2F5A7B], np.int32)   # the SGD step's lr ~ 0.0188 as s32.36
    out, buf = np.empty(n, np.int16), np.empty(n)

    def int_op(op, u, v, s, mode):
        return lambda: E.int_op(op, u, 0, v, 0, out, s, ROUNDING[mode], 0, LO, HI, W, 7, 1)

    def quantize(mode):
        return lambda: E.quantize(x, out, 12, ROUNDING[mode], 0, LO, HI, W, 7, 1)

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


def main(n=10**6, rounds=60):
    funcs = cases(n)
    best = dict.fromkeys(funcs, float("inf"))
    for _ in range(rounds):
        for name, func in funcs.items():
            start = time.perf_counter()
            func()
            best[name] = min(best[name], time.perf_counter() - start)
    base = best["np.multiply(x, 4096, out)"]
    print(f"n={n}, SIMD level {E.simd_level(-1)}, best of {rounds} interleaved rounds")
    for name, t in best.items():
        print(f"{name:28s} {t * 1e3:8.3f} ms {n / t / 1e6:7.0f} Melem/s {t / base:6.2f}x baseline")


if __name__ == "__main__":
    main(*(int(float(v)) for v in sys.argv[1:3]))
