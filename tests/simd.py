"""The SIMD levels the tests run the kernels at.

With ``FXP_SIMD_LEVEL`` set (``.ci/run`` runs the whole suite once per level the CPU has), only
that level: every test, not only the kernel tests, then runs on it.  Without it, every level the
CPU has, for the tests that loop over levels.
"""
import os
from contextlib import contextmanager

from fxp._kernels import _elementwise, _gemm

FORCED = os.environ.get("FXP_SIMD_LEVEL", "") != ""


def _cpu_levels():
    levels = sorted({_elementwise.simd_level(lvl) for lvl in (0, 1, 2)})
    _elementwise.simd_level(-1)
    return levels


# elementwise levels (0 portable, 1 AVX2, 2 AVX-512)
SIMD_LEVELS = [_elementwise.simd_level(-1)] if FORCED else _cpu_levels()


# GEMM kernel sets (0 portable, 1 AVX2, 2 AVX-512BW, 3 AVX-512 VNNI), VNNI counting as level 2
GEMM_ISAS = [isa for isa in range(_gemm.best_isa() + 1) if min(isa, 2) in SIMD_LEVELS]


@contextmanager
def simd_level(level):
    """Run the elementwise kernels at ``level`` inside the block."""
    _elementwise.simd_level(level)
    try:
        yield level
    finally:
        _elementwise.simd_level(-1)


def at_levels(func, levels=SIMD_LEVELS):
    """[func() at each SIMD level of ``levels``]."""
    results = []
    for lvl in levels:
        with simd_level(lvl):
            results.append(func())
    return results
