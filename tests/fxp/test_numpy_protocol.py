"""numpy's protocols on FxpArrays: ufunc methods with numpy's defaults, out= everywhere, the
join rule, conversions to numpy and Python, the float64 fallback's warning and fxp.save/load of
several arrays."""
import warnings

import numpy as np
import pytest

import fxp


@pytest.fixture
def a():
    raw = np.random.default_rng(0).integers(-100, 100, size=(3, 4, 5)).astype(np.int8)
    return fxp.from_raw(raw, "s8.3")


@pytest.mark.parametrize("ufunc", [np.add, np.maximum, np.minimum])
@pytest.mark.parametrize("kwargs", [{}, {"axis": 1}, {"axis": None}, {"axis": (0, 2)},
                                    {"axis": -1, "keepdims": True}])
def test_reduce_follows_numpys_defaults(a, ufunc, kwargs):
    got = ufunc.reduce(a, **kwargs)
    want = ufunc.reduce(a.raw.astype(np.int64), **kwargs)       # the exact raws (scale 2**-3)
    assert got.shape == np.shape(want) and got.fmt.frac_bits == 3
    assert np.ravel(got.raw).tolist() == np.ravel(want).tolist()


@pytest.mark.parametrize("ufunc", [np.add, np.maximum, np.minimum])
@pytest.mark.parametrize("axis", [None, 0, 2, -2])
def test_accumulate_follows_numpys_defaults(a, ufunc, axis):
    kwargs = {} if axis is None else {"axis": axis}
    got = ufunc.accumulate(a, **kwargs)
    assert got.raw.tolist() == ufunc.accumulate(a.raw.astype(np.int64), **kwargs).tolist()


def test_outer_and_unsupported_methods(a):
    v = a[0, 0]
    for ufunc in (np.add, np.subtract, np.multiply, np.maximum):
        got = ufunc.outer(a[0], v)
        assert got.shape == (4, 5, 5)
        np.testing.assert_array_equal(got.to_float(), ufunc.outer(a[0].to_float(), v.to_float()))
    assert np.less.outer(v, v).dtype == bool
    with pytest.raises(NotImplementedError, match="np.add.at"):
        np.add.at(a, [0], 1)
    with pytest.raises(NotImplementedError, match="np.maximum.reduceat"):
        np.maximum.reduceat(v, [0, 2])
    with pytest.raises(TypeError, match="initial"):
        np.add.reduce(a, initial=1)
    with pytest.raises(TypeError, match="dtype"):
        np.add.reduce(a, dtype=np.float32)
    with pytest.warns(fxp.FxpFloatFallbackWarning, match="np.subtract.reduce"):
        np.testing.assert_array_equal(np.subtract.reduce(a), np.subtract.reduce(a.to_float()))


def test_out_takes_fxp_arrays_and_ndarrays(a):
    calls = [lambda **o: np.sum(a, axis=0, **o), lambda **o: np.clip(a, -1, 1, **o),
             lambda **o: np.concatenate([a, a], **o), lambda **o: np.maximum(a, 1, **o),
             lambda **o: np.floor(a, **o), lambda **o: np.cumsum(a, axis=1, **o),
             lambda **o: np.matmul(a, a.transpose(0, 2, 1), **o), lambda **o: np.round(a, **o)]
    for call in calls:
        exact = call()
        into = fxp.zeros(exact.shape, "s32.8")
        assert call(out=into) is into
        np.testing.assert_array_equal(into.to_float(), exact.to_float())
        plain = np.empty(exact.shape)
        assert call(out=plain) is plain
        np.testing.assert_array_equal(plain, exact.to_float())
    plain_in = fxp.zeros(3, "s8.2")                  # plain inputs, an FxpArray out
    assert np.floor(np.array([1.25, -0.5, 2.0]), out=plain_in) is plain_in
    assert plain_in.to_float().tolist() == [1.0, -1.0, 2.0]
    with pytest.raises(ValueError, match="does not fit out="):
        np.sum(a, axis=0, out=fxp.zeros(3, "s16.3"))
    with pytest.raises(TypeError, match="out="):
        np.sum(a, axis=0, out=[0.0])
    coarse = fxp.zeros(a.shape, "s8.0")             # rounded once with the current modes
    with fxp.config(rounding="floor"):
        np.negative(a, out=coarse)
    assert coarse.raw.tolist() == np.floor(-a.to_float()).tolist()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(fxp.FxpFloatFallbackWarning):
            np.sqrt(abs(a), out=fxp.zeros(a.shape, "s8.4"))


def test_the_join_rule():
    a = fxp.asarray([0.5, -1.25], "s8.4")
    joined = np.concatenate([a, np.array([1000, -3])])        # integers join exactly, the format grows
    assert joined.fmt == fxp.Format(15, 4) and joined.to_float().tolist() == [0.5, -1.25, 1000.0, -3.0]
    assert np.concatenate([a, [0.0625, True]]).to_float().tolist() == [0.5, -1.25, 0.0625, 1.0]
    for bad in ([0.03125], [np.inf], [np.nan], [300.0]):
        with pytest.raises(ValueError, match="not exactly representable in s8.4"):
            np.concatenate([a, bad])
    with pytest.raises(TypeError, match="cannot join"):
        np.concatenate([a, np.array(["x"])])
    assert fxp.stack([a, np.array([1, 2])]).fmt == fxp.Format(8, 4)
    assert np.where([True, False], a, 2.5).to_float().tolist() == [0.5, 2.5]
    with pytest.raises(ValueError, match="0.1"):
        np.where([True, False], a, 0.1)
    assert np.pad(a, 1, constant_values=3).to_float().tolist() == [3.0, 0.5, -1.25, 3.0]


def test_conversions_to_numpy_and_python():
    a = fxp.asarray([[0.5, -1.25, 3.0]], "s8.4")
    s = fxp.asarray(-2.6875, "s8.4")
    assert a.dtype == np.float64 and np.array(a).dtype == np.float64 and a.raw.dtype == a.fmt.dtype
    assert a.astype(np.float32).dtype == np.float32 and a.astype(np.dtype("int16")).tolist() == [[0, -1, 3]]
    assert a.astype("s16.8").fmt == fxp.Format(16, 8)
    assert int(s) == -2 and float(s) == -2.6875 and f"{s:.2f}" == "-2.69" and f"{s}" == "-2.6875"
    assert a.tolist() == [[0.5, -1.25, 3.0]] and a.item(2) == 3.0 and isinstance(a.item(0), float)
    assert f"{a}" == str(a)
    with pytest.raises(TypeError, match="only 0-d"):
        f"{a:.3f}"
    with pytest.raises(ValueError):
        int(a)
    b = a.copy()
    b.sort()
    assert b.tolist() == [[-1.25, 0.5, 3.0]]
    assert a.any() and a.all() and not fxp.zeros(2, "s8.4").any() and a.nonzero()[1].tolist() == [0, 1, 2]


def test_fallback_warning_points_at_the_caller():
    a = fxp.asarray([0.5, 2.0], "s8.4")
    assert issubclass(fxp.FxpFloatFallbackWarning, UserWarning)
    for call in (lambda: np.sqrt(a), lambda: np.std(a), lambda: a / 3, lambda: np.mean(a[:1].repeat(3)),
                 lambda: np.round(a, 1), lambda: a.var()):
        with pytest.warns(fxp.FxpFloatFallbackWarning) as caught:
            call()
        assert caught[0].filename == __file__


def test_save_and_load_several_arrays(tmp_path):
    w = fxp.asarray([[0.5, -1.0]], "s8.4")
    b = fxp.asarray([3], "u4.0")
    fxp.save(tmp_path / "d.npz", {"w": w, "layer.1": b})
    got = fxp.load(tmp_path / "d.npz")
    assert list(got) == ["layer.1", "w"] and got["w"].fmt == w.fmt and got["layer.1"].raw.tolist() == [3]
    fxp.save(tmp_path / "l.npz", (w, b, w))
    got = fxp.load(tmp_path / "l.npz")
    assert isinstance(got, list) and [g.fmt for g in got] == [w.fmt, b.fmt, w.fmt]
    fxp.save(tmp_path / "one.npz", w)
    assert isinstance(fxp.load(tmp_path / "one.npz"), fxp.FxpArray)
    with pytest.raises(TypeError, match="names"):
        fxp.save(tmp_path / "x.npz", {"a/b": w})
    with pytest.raises(TypeError, match="'x'"):
        fxp.save(tmp_path / "x.npz", {"x": w.to_float()})
    np.savez(tmp_path / "bad.npz", fxp_container=np.array("dict"), **{"w/raw": w.raw})
    with pytest.raises(ValueError, match="missing entries"):
        fxp.load(tmp_path / "bad.npz")
    np.savez(tmp_path / "bad2.npz", fxp_container=np.array("set"))
    with pytest.raises(ValueError, match="'list' or 'dict'"):
        fxp.load(tmp_path / "bad2.npz")
