import os
import sys

import pytest
from hypothesis import HealthCheck, settings

from simd import GEMM_ISAS, SIMD_LEVELS, simd_level

settings.register_profile("ci", deadline=None, derandomize=True, max_examples=60,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, max_examples=300)
settings.load_profile(os.environ.get("FXP_HYPOTHESIS_PROFILE", "ci"))


def pytest_report_header(config):
    forced = os.environ.get("FXP_SIMD_LEVEL")
    how = f"FXP_SIMD_LEVEL={forced}" if forced else "every level the CPU has"
    return f"fxp SIMD levels: elementwise {SIMD_LEVELS}, GEMM {GEMM_ISAS} ({how})"


def pytest_terminal_summary(terminalreporter):
    matrix = sys.modules.get("test_dispatch_matrix")
    if matrix is not None and matrix.TALLY["cases"]:
        terminalreporter.write_line(matrix.summary())


@pytest.fixture(params=SIMD_LEVELS, ids=lambda lvl: f"simd{lvl}")
def simd(request):
    """Each SIMD level of simd.SIMD_LEVELS in turn, for the elementwise kernels."""
    with simd_level(request.param):
        yield request.param
