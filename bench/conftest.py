"""Collects the medians of the core benchmarks and prints Melem/s and ratio tables at the end.

FXP_SIMD_LEVEL=0|1|2 (portable, AVX2, AVX-512) runs the elementwise kernels at that level
instead of the best the CPU supports (a level above the CPU's falls back to its best).
"""
import os
import platform

import numpy as np
import pytest

RESULTS = {}   # (case, impl) -> (median seconds, min seconds, elements)
SIMD_LEVEL = None   # the level in use, set at configure time


def pytest_configure(config):
    global SIMD_LEVEL
    from fxp._kernels import _elementwise
    SIMD_LEVEL = _elementwise.simd_level(int(os.environ.get("FXP_SIMD_LEVEL", "-1")))


@pytest.fixture
def record():
    """record(benchmark, case, impl, n): remember the median after the benchmark ran."""
    def _record(benchmark, case, impl, n):
        if benchmark.stats is None:      # --benchmark-disable: a smoke run, nothing timed
            return
        RESULTS[(case, impl)] = (benchmark.stats.stats.median, benchmark.stats.stats.min, n)
    return _record


def pytest_terminal_summary(terminalreporter):
    if not RESULTS:
        return
    import fxp
    write = terminalreporter.write_line
    write("")
    write(f"fxp core benchmark: numpy {np.__version__}, {platform.processor() or platform.machine()}, "
          f"SIMD level {SIMD_LEVEL} (1 = AVX2, 2 = AVX-512), fxp {fxp.__version__}")
    write("Melem/s from the median and from the best round; ratios = numpy time / fxp time (same process)")
    write(f"{'case':34s} {'impl':14s} {'median ms':>9s} {'Melem/s':>8s} {'best':>6s} {'vs numpy':>9s} {'(best)':>7s}")
    for (case, impl), (t, t_min, n) in sorted(RESULTS.items()):
        base = RESULTS.get((case, "numpy"))
        ratio = f"{base[0] / t:8.2f}x {base[1] / t_min:6.2f}x" if base and impl != "numpy" else ""
        write(f"{case:34s} {impl:14s} {t * 1e3:9.3f} {n / t / 1e6:8.0f} {n / t_min / 1e6:6.0f} {ratio}")
    for case in sorted({c for c, _ in RESULTS}):
        one, two = RESULTS.get((case, "fxp 1 thread")), RESULTS.get((case, "fxp 2 threads"))
        if one and two:
            write(f"{case}: 2 threads / 1 thread = {one[0] / two[0]:.2f}x (median), "
                  f"{one[1] / two[1]:.2f}x (best)")
