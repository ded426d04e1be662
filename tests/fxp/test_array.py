"""FxpArray behaviour: creation, numpy-like API, errors, numpy protocols, pickling, I/O."""
import pickle

import numpy as np
import pytest

import fxp
from fxp import Format


def test_creation_helpers():
    fmt = Format(16, 12)
    assert fxp.zeros((2, 3), fmt).raw.tolist() == [[0] * 3] * 2
    assert fxp.ones(3, fmt).to_float().tolist() == [1.0] * 3
    assert fxp.ones(2, "s8.7").to_float().tolist() == [fxp.Format(8, 7).max] * 2   # saturated
    assert fxp.full((2,), fmt, -1.5).to_float().tolist() == [-1.5, -1.5]
    assert fxp.arange(0, 1, 0.25, fmt=fmt).to_float().tolist() == [0, 0.25, 0.5, 0.75]
    r = fxp.from_raw([1, -2], fmt)
    assert r.raw.dtype == np.int16 and r.to_float().tolist() == [2**-12, -2 * 2**-12]
    assert fxp.asarray(np.array([2**40, -2**40]), "s32.-20").to_float().tolist() == [2.0**40, -2.0**40]
    assert fxp.asarray([True, False], "u1.0").raw.tolist() == [1, 0]
    assert fxp.asarray(np.array([2**63 + 5], np.uint64), "u32.-40").raw.tolist() == [2**23]


def test_bad_input_errors_name_the_problem():
    with pytest.raises(ValueError, match="NaN"):
        fxp.asarray([1.0, np.nan], "s16.12")
    with pytest.raises(ValueError, match="infinity"):
        fxp.asarray([np.inf], "s16.12", overflow="wrap")
    with pytest.raises(fxp.FxpOverflowError, match="2 of 3"):
        fxp.asarray([np.inf, -1e9, 0], "s16.12", overflow="raise")
    assert fxp.asarray([np.inf, -np.inf], "s8.0").raw.tolist() == [127, -128]
    with pytest.raises(TypeError, match="non-numeric"):
        fxp.asarray(["a"], "s8.0")
    with pytest.raises(TypeError, match="format"):
        fxp.asarray([1.0])
    with pytest.raises(ValueError, match="word_bits"):
        fxp.asarray([1.0], Format(33, 0))
    with pytest.raises(ValueError, match="outside"):
        fxp.from_raw([200], "s8.0")
    with pytest.raises(TypeError, match="integers"):
        fxp.from_raw([1.5], "s8.0")
    with pytest.raises(ValueError, match="unknown rounding"):
        fxp.asarray([1.0], "s8.0", rounding="up")
    a = fxp.asarray([1.0, 2.0], "s16.12")
    with pytest.raises(ValueError, match="shape|broadcast"):
        a + fxp.asarray([1.0, 2.0, 3.0], "s16.12")
    with pytest.raises(ValueError, match="same format"):
        a += fxp.asarray([1.0, 2.0], "s8.4")
    with pytest.raises(ValueError, match="frac_bits"):
        a >> 60
    with pytest.raises(TypeError):
        a + "x"


def test_indexing_views_and_assignment():
    a = fxp.asarray(np.arange(12.0).reshape(3, 4) / 4, "s16.8")
    v = a[1:, ::2]
    assert np.shares_memory(v.raw, a.raw)
    v[0, 0] = 7.5
    assert a.to_float()[1, 0] == 7.5
    assert a[2, 3].shape == () and float(a[2, 3]) == 11 / 4
    assert a[[0, 2]].shape == (2, 4) and not np.shares_memory(a[[0, 2]].raw, a.raw)
    assert a[a > 2].to_float().tolist() == [x for x in a.to_float().ravel() if x > 2]
    a[0] = fxp.asarray([1, 2, 3, 4], "s8.0")
    assert a.to_float()[0].tolist() == [1, 2, 3, 4]
    a[:, 0] = 1000.0                       # saturates with the context default
    assert a.to_float()[:, 0].tolist() == [Format(16, 8).max] * 3
    assert len(a) == 3 and [r.shape for r in a] == [(4,)] * 3


def test_shapes():
    a = fxp.asarray(np.arange(24.0).reshape(2, 3, 4), "s16.4")
    assert a.T.shape == (4, 3, 2) and a.transpose(1, 0, 2).shape == (3, 2, 4)
    assert a.swapaxes(0, 2).shape == (4, 3, 2) and a.reshape(6, 4).shape == (6, 4)
    assert a.ravel().shape == (24,) and a.flatten().shape == (24,)
    assert np.reshape(a, (4, 6)).fmt == a.fmt
    c = fxp.concatenate([a, a], axis=1)
    assert c.shape == (2, 6, 4) and c.fmt == a.fmt
    mixed = fxp.stack([fxp.asarray([1.5], "s8.1"), fxp.asarray([-0.25], "u8.2")])
    assert mixed.to_float().ravel().tolist() == [1.5, 0.0] or mixed.fmt.signed
    s = fxp.stack([fxp.asarray([1.5], "s8.1"), fxp.asarray([0.25], "u8.2")])
    assert s.to_float().ravel().tolist() == [1.5, 0.25] and s.fmt == Format(9, 2)


def test_arithmetic_operators_and_scalars():
    a = fxp.asarray([1.5, -2.25], "s16.8")
    assert (a + 1).to_float().tolist() == [2.5, -1.25]
    assert (1 - a).to_float().tolist() == [-0.5, 3.25]
    assert (a * 2).to_float().tolist() == [3.0, -4.5]
    assert (0.5 * a).to_float().tolist() == [0.75, -1.125]
    assert (a << 2).to_float().tolist() == [6.0, -9.0] and (a >> 1).fmt == Format(16, 9)
    assert (-a).to_float().tolist() == [-1.5, 2.25] and abs(a).to_float().tolist() == [1.5, 2.25]
    m = fxp.from_raw([-128], "s8.0")
    assert (-m).to_float().tolist() == [128.0] and abs(m).fmt == Format(8, 0, False)
    b = a.copy()
    b += a
    b *= 2
    b -= 1
    assert b.to_float().tolist() == [5.0, -10.0] and b.fmt == a.fmt
    assert (a > 0).tolist() == [True, False] and (a == a).all() and (a != 0).all()
    assert (a <= -2.25).tolist() == [False, True]


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan, np.array([1.0, np.inf]), np.array([np.nan, 2.0])],
                         ids=["inf", "-inf", "nan", "array-inf", "array-nan"])
def test_arithmetic_with_non_finite_floats_raises(bad):
    """Fixed point has no inf or NaN: an operand holding one raises (a * inf used to give ~a)."""
    a = fxp.asarray([1.0, 2.0], "s16.8")
    calls = [lambda: a * bad, lambda: bad * a, lambda: a + bad, lambda: a - bad, lambda: bad - a,
             lambda: fxp.multiply(a, bad, out_format="s16.8"), lambda: np.multiply(a, bad),
             lambda: np.add(a, bad, out=fxp.zeros(2, "s16.8")), lambda: fxp.maximum(a, bad)]
    for call in calls:
        with pytest.raises(ValueError, match="non-finite"):
            call()
    b = a.copy()
    with pytest.raises(ValueError, match="non-finite"):
        b *= bad
    assert b.raw.tolist() == a.raw.tolist()


def test_comparisons_with_non_finite_floats_are_exact():
    a = fxp.asarray([1.0, -2.0], "s16.8")
    assert (a < np.inf).all() and (a > -np.inf).all() and not (a == np.inf).any()
    assert not (a == np.nan).any() and (a != np.nan).all() and not (a < np.nan).any()
    assert (a <= np.array([np.inf, -np.inf])).tolist() == [True, False]
    assert np.greater(a, np.array([-np.inf, np.nan])).tolist() == [True, False]


def test_float_operands_take_a_format_that_holds_them():
    """A float operand gets the best-precision format that holds it rounded: one bit coarser when
    rounding carries, a wider word at frac -64 when it is that large, an error beyond every format."""
    a = fxp.asarray([1.0, -2.0], "s16.8")
    assert (a * 0.99999999).to_float().tolist() == [1.0, -2.0]       # 0.99999999 -> 1.0, not 1 - 2**-15
    assert (a * 2.0**80).to_float().tolist() == [2.0**80, -2.0**81]  # held as s18.-64, not saturated
    with pytest.raises(ValueError, match="range of every fixed-point format"):
        a * 1e30


def test_reductions():
    raw = np.array([[1, -7, 3], [4, 4, -2]], np.int8)
    a = fxp.from_raw(raw, "s8.2")
    assert a.sum().to_float() == raw.sum() / 4 and a.sum().fmt == Format(11, 2)
    assert a.sum(axis=0).to_float().tolist() == (raw.sum(axis=0) / 4).tolist()
    assert a.max(axis=1).to_float().tolist() == [0.75, 1.0]
    assert a.min().to_float() == -1.75 and a.argmax() == 3 and a.argmin(axis=1).tolist() == [1, 2]
    assert fxp.mean(a, axis=0).raw.tolist() == [2, -2, 0]   # 2.5 -> 2, -1.5 -> -2, 0.5 -> 0 (ties even)
    with fxp.config(rounding="nearest_away"):
        assert a.mean(axis=0).raw.tolist() == [3, -2, 1]
    assert fxp.mean(a, axis=0, rounding="floor").raw.tolist() == [2, -2, 0]
    assert fxp.mean(a, axis=0, rounding="toward_zero").raw.tolist() == [2, -1, 0]
    with pytest.raises(ValueError, match="empty"):
        fxp.mean(fxp.zeros((0,), "s8.0"))


# fxp call, the numpy call on the raws that must fail the same way.  The means follow numpy's
# reductions (np.sum), which take axis 0 of a 0-d array, where np.mean refuses it
REDUCTIONS = {
    "fxp.sum": (lambda a, ax: fxp.sum(a, axis=ax), np.sum), "fxp.mean": (lambda a, ax: fxp.mean(a, axis=ax), np.sum),
    "fxp.max": (lambda a, ax: fxp.max(a, axis=ax), np.max), "fxp.min": (lambda a, ax: fxp.min(a, axis=ax), np.min),
    "FxpArray.sum": (lambda a, ax: a.sum(ax), np.sum), "FxpArray.mean": (lambda a, ax: a.mean(ax), np.sum),
    "np.sum": (np.sum, np.sum), "np.mean": (np.mean, np.sum), "np.amax": (np.amax, np.amax),
    "np.add.reduce": (np.add.reduce, np.add.reduce), "np.size": (np.size, np.size),
}
SINGLE_AXIS = {
    "fxp.argmax": (lambda a, ax: fxp.argmax(a, axis=ax), np.argmax),
    "fxp.argmin": (lambda a, ax: fxp.argmin(a, axis=ax), np.argmin),
    "np.argmax": (np.argmax, np.argmax), "squeeze": (lambda a, ax: a.squeeze(ax), np.squeeze),
    "concatenate": (lambda a, ax: fxp.concatenate([a, a], axis=ax), lambda r, ax: np.concatenate([r, r], axis=ax)),
    "stack": (lambda a, ax: fxp.stack([a, a], axis=ax), lambda r, ax: np.stack([r, r], axis=ax)),
    "swapaxes": (lambda a, ax: a.swapaxes(0, ax), lambda r, ax: np.swapaxes(r, 0, ax)),
    "np.expand_dims": (np.expand_dims, np.expand_dims),
}


def _outcome(func, *args):
    """(shape of the result, None) or (None, (exception type, message))."""
    try:
        return np.shape(func(*args)), None
    except (ValueError, TypeError, IndexError) as exc:
        return None, (type(exc), str(exc))


@pytest.mark.parametrize("name", sorted(REDUCTIONS) + sorted(SINGLE_AXIS))
def test_bad_axes_fail_as_numpy_does(name):
    """Out-of-range axes raise numpy's AxisError with numpy's message (sum and mean raised a bare
    IndexError, np.size too); 0-d arrays and repeated axes behave as in numpy."""
    func, numpy_func = {**REDUCTIONS, **SINGLE_AXIS}[name]
    cases = [((2, 3), 5), ((2, 3), -4), ((), 0), ((), -1), ((), 1), ((2, 3), 1)]
    if name in REDUCTIONS and name != "np.size":
        cases += [((2, 3), (0, 5)), ((2, 3, 4), (-1, 3)), ((2, 3), (1, -1)), ((2, 3), ())]
    for shape, axis in cases:
        a = fxp.zeros(shape, "s8.0")
        expected = _outcome(numpy_func, a.raw, axis)
        assert _outcome(func, a, axis) == expected, (shape, axis)
        if expected[1] is not None and "out of bounds" in expected[1][1]:
            assert expected[1][0] is np.exceptions.AxisError


@pytest.mark.parametrize("rounding", [m.value for m in fxp.Rounding])
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
def test_mean_matches_exact_rational_rounding(rounding, axis):
    from fractions import Fraction

    from fxp._reference import Xoroshiro128Plus, element_words, round_rational
    raw = np.random.default_rng(3).integers(-128, 128, size=(6, 7)).astype(np.int8)
    a = fxp.from_raw(raw, "s8.3")
    got = fxp.mean(a, axis=axis, rounding=rounding, rng=9)
    total = np.asarray(raw.astype(np.int64).sum(axis=axis))
    n = raw.size // total.size
    words = element_words(Xoroshiro128Plus.seeded(9).next(), total.size) if rounding == "stochastic" \
        else [0] * total.size
    expected = [round_rational(Fraction(t, n), rounding, r) for t, r in zip(total.ravel().tolist(), words)]
    assert got.fmt == a.fmt and got.raw.ravel().tolist() == expected


@pytest.mark.parametrize("fmt, n", [("s16.0", 65535), ("s16.0", 65536), ("s16.0", 65537), ("u16.0", 32767),
                                     ("u16.0", 32768), ("u16.0", 65537),
                                     ("s8.0", 2**23 - 1), ("u32.0", 3)])
def test_sums_at_the_int32_accumulator_limit_are_exact(fmt, n):
    """Sums accumulate in int32 only while no partial sum can reach 2**31."""
    fmt = fxp.Format.parse(fmt)
    for value in (fmt.min_raw, fmt.max_raw):
        a = fxp.full((n,), fmt, value * fmt.resolution)
        total = a.sum()   # rounded into its (possibly trimmed) format, exactly once
        assert total.raw == fxp.asarray(n * value * fmt.resolution, total.fmt).raw
        assert int(np.asarray(a.reshape(1, n).mean(axis=1).raw)[0]) == value


@pytest.mark.parametrize("axis", [None, 0, (0, 2)])
def test_stochastic_sum_draws_from_rng_and_matches_reference(axis):
    from fxp import _reference
    from fxp.random import Xorshift, draw_key
    raw = np.random.default_rng(5).integers(-2**15, 2**15, size=(40, 3, 5)).astype(np.int16)
    a, out = fxp.from_raw(raw, "s16.12"), fxp.Format(16, 8)
    got = fxp.sum(a, axis=axis, out_format=out, rounding="stochastic", overflow="wrap", rng=Xorshift(6))
    total = np.asarray(raw.astype(np.int64).sum(axis=axis))
    expected, _ = _reference.requantize(total, 12, out, "stochastic", "wrap", key=draw_key(Xorshift(6)))
    np.testing.assert_array_equal(got.raw, expected)
    np.testing.assert_array_equal(a.sum(axis, out, "stochastic", "wrap", rng=Xorshift(6)).raw, got.raw)


@pytest.mark.parametrize("shape, axis", [((3, 1000), 1), ((1001, 5), 0), ((4, 5, 6), (0, 2))])
def test_stochastic_mean_matches_reference_on_long_axes(shape, axis):
    from fractions import Fraction

    from fxp._reference import Xoroshiro128Plus, element_words, round_rational
    raw = np.random.default_rng(4).integers(-2**31, 2**31, size=shape).astype(np.int32)
    a = fxp.from_raw(raw, "s32.5")
    got = fxp.mean(a, axis=axis, rounding="stochastic", rng=12)
    total = np.asarray(raw.astype(np.int64).sum(axis=axis))
    n = raw.size // total.size
    words = element_words(Xoroshiro128Plus.seeded(12).next(), total.size)
    expected = [round_rational(Fraction(t, n), "stochastic", r) for t, r in zip(total.ravel().tolist(), words)]
    assert got.raw.ravel().tolist() == expected


def test_mulhi_is_the_exact_high_word():
    from fxp._reduce import mulhi_u64 as _mulhi_u64
    words = np.random.default_rng(2).integers(0, 2**64, size=500, dtype=np.uint64, endpoint=False)
    words[:3] = [0, 2**64 - 1, 2**63]
    for n in (1, 3, 1000, 2**32 - 1, 2**32 + 7, 2**40 + 3, 2**63 - 1):
        expected = [(int(w) * n) >> 64 for w in words]
        assert _mulhi_u64(words, n).tolist() == expected


def test_ufunc_out_rounds_into_the_out_format():
    a = fxp.asarray([0.5, -1.25, 3.0], "s16.12")
    b = fxp.asarray([0.375, 2.0, 3.0], "s8.4")
    for ufunc, func in [(np.add, fxp.add), (np.subtract, fxp.subtract), (np.multiply, fxp.multiply)]:
        c = fxp.zeros(3, "s8.2")
        with fxp.config(rounding="floor", overflow="wrap"):
            returned = ufunc(a, b, out=c)
            expected = func(a, b, out_format="s8.2")
        assert returned is c and c.raw.tolist() == expected.raw.tolist()
    grid = fxp.zeros((2, 3), "s16.8")
    np.add(a, b, out=grid)                    # inputs broadcast to out's shape
    assert grid.to_float().tolist() == [[0.875, 0.75, 6.0]] * 2
    np.multiply(a, 2, out=(a,))                # in place, a tuple out, a plain operand
    assert a.to_float().tolist() == [1.0, -2.5, 6.0]


def test_ufunc_out_errors_name_the_problem():
    a = fxp.asarray([0.5, -1.0], "s16.12")
    c = fxp.zeros(2, "s16.12")              # every fixed-point ufunc takes out= (issue 12)
    assert np.maximum(a, a, out=c) is c and np.negative(a, out=c) is c and c.to_float().tolist() == [-0.5, 1.0]
    with pytest.raises(TypeError, match="where"):
        np.add(a, a, out=fxp.zeros(2, "s16.12"), where=np.array([True, False]))
    with pytest.raises(ValueError, match="does not fit out="):
        np.add(a, a, out=fxp.zeros(3, "s16.12"))


def test_numpy_protocols():
    a = fxp.asarray([0.5, -1.0, 2.0], "s16.12")
    b = fxp.asarray([1.0, 1.0, 1.0], "s16.12")
    assert isinstance(np.add(a, b), fxp.FxpArray) and np.add(a, b).fmt == Format(17, 12)
    assert isinstance(np.multiply(a, 2), fxp.FxpArray)
    assert np.sum(a).to_float() == 1.5 and isinstance(np.sum(a), fxp.FxpArray)
    assert np.add.reduce(a).to_float() == 1.5
    with pytest.warns(fxp.FxpFloatFallbackWarning, match="np.mean"):
        assert np.mean(a) == 0.5                   # 3 elements: not exact in fixed point
    assert np.mean(a[:2]).to_float() == -0.25      # 2 elements: a shift of the exact sum
    assert np.max(a).to_float() == 2.0 and np.argmin(a) == 1
    assert isinstance(np.concatenate([a, b]), fxp.FxpArray)
    assert np.maximum(a, b).to_float().tolist() == [1.0, 1.0, 2.0]
    assert np.negative(a).to_float().tolist() == [-0.5, 1.0, -2.0]
    assert np.greater(a, 0).tolist() == [True, False, True]
    assert np.asarray(a).dtype == np.float64 and np.asarray(a).tolist() == [0.5, -1.0, 2.0]
    with pytest.warns(fxp.FxpFloatFallbackWarning, match="np.sin"):
        np.testing.assert_allclose(np.sin(a), np.sin([0.5, -1.0, 2.0]))
    assert np.transpose(fxp.zeros((2, 3), "s8.0")).shape == (3, 2)
    assert np.shape(a) == (3,)


def test_repr_pickle_and_npz(tmp_path):
    a = fxp.asarray([[0.5, -1.25], [3.0, 0.0]], "u8.4", overflow="saturate")
    assert "fmt='u8.4'" in repr(a) and "0.5" in repr(a)
    b = pickle.loads(pickle.dumps(a))
    assert b.fmt == a.fmt and (b.raw == a.raw).all()
    path = tmp_path / "a.npz"
    fxp.save(path, a)
    c = fxp.load(path)
    assert c.fmt == a.fmt and (c.raw == a.raw).all() and c.raw.dtype == np.uint8
    np.savez(tmp_path / "bad.npz", raw=np.zeros(3, np.int8), word_bits=40, frac_bits=0, signed=True)
    with pytest.raises(ValueError, match="corrupt"):
        fxp.load(tmp_path / "bad.npz")
    np.savez(tmp_path / "bad2.npz", raw=np.zeros(3, np.int8))
    with pytest.raises(ValueError, match="missing"):
        fxp.load(tmp_path / "bad2.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError):
        fxp.load(tmp_path / "junk.npz")


def _load_error(path):
    with pytest.raises(ValueError) as err:
        fxp.load(path)
    assert str(path) in str(err.value)            # names the file
    return str(err.value)


def test_load_rejects_corrupt_files_with_value_error(tmp_path):
    """Corrupt, truncated, foreign and pickled files raise ValueError naming the file and the
    problem (a damaged zip raised BadZipFile, an .npy file TypeError); nothing is unpickled."""
    import io
    a = fxp.asarray(np.linspace(-3, 3, 40).reshape(5, 8), "s16.8")
    for save in (fxp.save, lambda f, x: np.savez_compressed(f, raw=x.raw, word_bits=16, frac_bits=8, signed=True)):
        buffer = io.BytesIO()
        save(buffer, a)
        data = buffer.getvalue()
        for n in range(len(data)):                 # every truncation
            _load_error(io.BytesIO(data[:n]))
        for i in range(len(data)):                 # every byte flipped: ValueError or a valid array
            damaged = io.BytesIO(data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:])
            try:
                b = fxp.load(damaged)
            except ValueError as exc:
                assert str(damaged) in str(exc)
            else:
                assert b.fmt == a.fmt and b.shape == a.shape
    cases = {
        "not a zip": lambda p: p.write_bytes(b"not a zip"),
        "empty": lambda p: p.write_bytes(b""),
        "npy": lambda p: np.save(open(p, "wb"), a.raw),
        "missing": lambda p: np.savez(p, raw=a.raw, word_bits=16, frac_bits=8),
        "raw dtype": lambda p: np.savez(p, raw=a.to_float(), word_bits=16, frac_bits=8, signed=True),
        "word_bits": lambda p: np.savez(p, raw=a.raw, word_bits=40, frac_bits=8, signed=True),
        "frac_bits float": lambda p: np.savez(p, raw=a.raw, word_bits=16, frac_bits=8.5, signed=True),
        "signed text": lambda p: np.savez(p, raw=a.raw, word_bits=16, frac_bits=8, signed="False"),
        "word_bits array": lambda p: np.savez(p, raw=a.raw, word_bits=[16, 16], frac_bits=8, signed=True),
        "range": lambda p: np.savez(p, raw=np.full(3, 200, np.int16), word_bits=8, frac_bits=0, signed=True),
        "pickled raw": lambda p: np.savez(p, raw=np.array([1, None], dtype=object), word_bits=8, frac_bits=0,
                                          signed=True),
    }
    problems = {}
    for name, write in cases.items():
        path = tmp_path / f"{name}.npz"
        write(path)
        problems[name] = _load_error(path)
    assert "missing" in problems["missing"] and "signed" in problems["missing"]
    assert "dtype" in problems["raw dtype"] and "word_bits" in problems["word_bits"]
    assert "frac_bits" in problems["frac_bits float"] and "signed" in problems["signed text"]
    assert "pickle" in problems["pickled raw"]
    with pytest.raises(FileNotFoundError):
        fxp.load(tmp_path / "absent.npz")


def test_load_never_runs_code_from_the_file(tmp_path):
    import pickle
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    evil = tmp_path / "evil.npz"
    evil.write_bytes(pickle.dumps(Payload()))
    _load_error(evil)
    assert not marker.exists()


def test_config_is_thread_local_and_nests():
    import threading
    seen = {}
    with fxp.config(rounding="floor"):
        with fxp.config(overflow="wrap"):
            assert fxp.get_config().rounding is fxp.Rounding.FLOOR
            assert fxp.get_config().overflow is fxp.Overflow.WRAP
            t = threading.Thread(target=lambda: seen.setdefault("r", fxp.get_config().rounding))
            t.start()
            t.join()
        assert fxp.get_config().overflow is fxp.Overflow.SATURATE
    assert seen["r"] is fxp.Rounding.NEAREST_EVEN
    assert fxp.get_config().rounding is fxp.Rounding.NEAREST_EVEN


def test_count_overflows_saturated_and_wrapped():
    with fxp.count_overflows() as outer:
        fxp.asarray([100.0, -100.0, 1.0], "s8.4")
        with fxp.count_overflows() as inner:
            fxp.asarray([100.0], "s8.4", overflow="wrap")
            x = fxp.asarray([7.0, 7.0], "s8.4")
            fxp.add(x, x, out_format="s8.4")
    assert (inner.saturated, inner.wrapped) == (2, 1)
    assert (outer.saturated, outer.wrapped, outer.total) == (4, 1, 5)
