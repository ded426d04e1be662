"""FXP_SIMD_LEVEL forces the SIMD level of a whole process, and a wrong value fails at import."""
import os
import subprocess
import sys

import pytest

from simd import SIMD_LEVELS

PROBE = "from fxp._kernels import _elementwise; print(_elementwise.simd_level(-1))"


def _run(level):
    env = dict(os.environ, FXP_SIMD_LEVEL=level)
    return subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True)


@pytest.mark.parametrize("level", SIMD_LEVELS)
def test_level_is_forced_for_the_process(level):
    done = _run(str(level))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(level)


def test_a_level_the_cpu_lacks_falls_back_to_its_best():
    from fxp._kernels import _elementwise

    best = max(_elementwise.simd_level(lvl) for lvl in (0, 1, 2))
    _elementwise.simd_level(-1)
    assert _run("2").stdout.strip() == str(best)


@pytest.mark.parametrize("value", ["3", "-1", "avx2", " 1"])
def test_a_wrong_value_fails_at_import(value):
    done = _run(value)
    assert done.returncode != 0
    assert "FXP_SIMD_LEVEL" in done.stderr and repr(value) in done.stderr
