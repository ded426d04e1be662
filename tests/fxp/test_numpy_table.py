"""Every row of docs/numpy.md's table: the call gives the documented kind of result, and
fixed-point and plain results equal numpy's on the float64 values (exact here: the values of
these small formats, and every sum and product of them, are exact in float64)."""
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import fxp

TABLE = Path(__file__).parents[2] / "docs" / "numpy.md"
ROW = re.compile(r"^\| `(?P<call>.+)` \| (?P<result>[^|]+?) \|$")
KINDS = {"fixed point", "plain", "float64 + warning", "error"}


def _rows():
    rows = [(m["call"], m["result"]) for m in map(ROW.match, TABLE.read_text().splitlines()) if m]
    assert len(rows) >= 60 and {kind for _, kind in rows} == KINDS
    return rows


def _operands():
    a = fxp.asarray([[0.5, -1.25, 3.0], [2.0, 0.25, -7.5]], "s8.4")
    b = fxp.asarray([[1.0, 2.0, 3.0], [0.5, 0.25, -1.0]], "s6.2")
    m = fxp.asarray([[1.5, -0.5], [0.0, 2.0], [-3.0, 0.75]], "s8.4")
    v = fxp.asarray([0.75, -2.0, 1.5], "s8.4")
    s = fxp.asarray(1.375, "s8.4")
    return dict(a=a, b=b, m=m, v=v, s=s)


def _values(x):
    return x.to_float() if isinstance(x, fxp.FxpArray) else x


def _fixed_point(x):
    if isinstance(x, (list, tuple)):
        return bool(x) and all(_fixed_point(y) for y in x)
    return isinstance(x, fxp.FxpArray)


def _has_fxp(x):
    if isinstance(x, (list, tuple)):
        return any(_has_fxp(y) for y in x)
    return isinstance(x, fxp.FxpArray)


@pytest.mark.parametrize("call, kind", _rows())
def test_numpy_table_row(call, kind):
    operands = _operands()
    env = dict(np=np, fxp=fxp, **operands)
    if kind == "error":
        with pytest.raises((TypeError, ValueError, NotImplementedError, ZeroDivisionError)):
            eval(call, env)
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = eval(call, env)
    fallbacks = [w for w in caught if issubclass(w.category, fxp.FxpFloatFallbackWarning)]
    if kind == "float64 + warning":
        assert fallbacks, f"{call}: no FxpFloatFallbackWarning"
        assert not _has_fxp(got)
    else:
        assert not fallbacks, f"{call}: {fallbacks[0].message}"
        assert _fixed_point(got) if kind == "fixed point" else not _has_fxp(got), type(got)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = eval(call, dict(np=np, **{k: x.to_float() for k, x in operands.items()}))
    _assert_equal(got, expected)


def _assert_equal(got, expected):
    if isinstance(expected, (list, tuple)):
        assert isinstance(got, (list, tuple)) and len(got) == len(expected)
        for g, e in zip(got, expected):
            _assert_equal(g, e)
    elif isinstance(expected, str):
        assert got == expected
    else:
        np.testing.assert_array_equal(_values(got), expected, strict=not isinstance(got, fxp.FxpArray))
