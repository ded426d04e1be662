"""Dispatch-matrix differential test of the elementwise kernels (csrc/fxp_elementwise*.h).

Enumerated, not sampled: every entry point of the kernel (quantize from float64 / float32; the
int op as a requantizing copy, add, subtract, multiply) is crossed with every storage pair of
the kernel dtypes, every stride pattern (contiguous, either operand broadcast), every shift class
of the dispatch (``SHIFT_CLASSES``), every rounding and overflow mode and every length 0..70 plus
1000 (each its own kernel call), and checked bit for bit, overflow counts included, against an
exact oracle at the SIMD level of the ``simd`` fixture.  A few 1e5-element cases cross the chunk
boundaries at 1024 and compare one and two threads.  The public functions (asarray, astype,
ldexp, add, subtract, multiply, negative, absolute, sum, mean) run on strided and broadcast views
against fxp/_reference.py, with ``overflow="raise"`` raising exactly when the reference overflows.

Speed: the kernels are elementwise and element i's random word depends only on (key, i), so
each group (entry point, operand storages, strides, shifts) builds one pool of 86 elements (and
one of 1016 for the 1000-element calls) and rounds it once per rounding mode, vectorised and
exact (numpy int64 where no intermediate can reach 2**62, else Python ints in object arrays;
``test_oracle_matches_reference`` checks that oracle against fxp/_reference.py); each case of the
group (rounding, output storage and width, overflow mode) then compares every length 0..70 as a
window of that pool.  The start offset (0..15 elements into 64-byte-aligned buffers; a and b
share it, the output has its own) rotates with the case, so that the cases of a group together
run every (length, offset) pair.  Outputs land in sentinel-filled rows, so a write past the end
of the output is a mismatch too.  Saturate and raise cases share their offsets and expectations.

tests/conftest.py prints the totals (``TALLY``, ``summary()``) after the run, and
``test_zz_dispatch_matrix_report`` fails when any case mismatched.
"""
from fractions import Fraction

import numpy as np
import pytest

import fxp
from fxp import Format, _reference as ref
from fxp._kernels import _elementwise
from dispatch_matrix import (
    HUGE, KEY, LONG, MODE_CODE, OFFSETS, OVERFLOWS, OVF_CODE, POOL, QUANTIZE_FRAC_BITS,
    ROUNDINGS, Recorder, SENTINEL, SHORT, TALLY, TYPES, _blank, _check_int_group, _check_long,
    _check_short, _copy_aligned, _exact_bits, _expect_short, _int_groups, _int_oracle, kernel_target,
    _long_out, _narrow, _offsets, _out_formats, _out_rows, _pool, _quantize_oracle, _targets,
    _views, _window_oracle, _windows, _words)


@pytest.mark.parametrize("a_t", TYPES, ids=str)
@pytest.mark.parametrize("op", ["copy", "add", "subtract", "multiply"])
def test_int_op_matrix(simd, op, a_t):
    rec = Recorder(simd)
    for b_t, stride, name, shifts, g in _int_groups(op, a_t):
        _check_int_group(rec, op, a_t, b_t, stride, name, shifts, g)
    rec.check()


# --- quantize ---------------------------------------------------------------------------------

def _quantize_pool(frac_bits, formats, n, word_offset, finite, dtype, rng):
    """Floats for quantize at ``frac_bits``: each format's range edges and the half-lsb points
    around them, ties and near-ties, fractions of an lsb, signed zeros, subnormals, +-inf
    (unless ``finite``), random values, and every third element from ``word_offset`` a value
    at (or one ulp below) the stochastic carry boundary of its element's word."""
    lsb = np.ldexp(1.0, -frac_bits)
    edges = [y for f in formats for y in (f.min_raw - 1, f.min_raw - 0.75, f.min_raw - 0.5, f.min_raw,
                                          f.max_raw, f.max_raw + 0.25, f.max_raw + 0.5, f.max_raw + 1)]
    ties = rng.integers(-300, 300, 24) + 0.5
    special = np.concatenate([np.array(edges) * lsb, ties * lsb, np.nextafter(ties * lsb, 0), np.nextafter(ties * lsb, 9e9),
                              np.array([0.25, -0.25, -0.5, -0.999, -2.0**-60, 2.0**-60]) * lsb,
                              [0.0, -0.0, 5e-324, -5e-324, 1e-300, -1e-300]])
    if not finite:
        special = np.concatenate([special, [np.inf, -np.inf]])
    x = np.concatenate([rng.permutation(special)[:n // 2], rng.uniform(-1.3, 1.3, n) * 2.0**33 * lsb])[:n]
    x = rng.permutation(x)
    positions = np.arange(word_offset, n, 3)
    for i, (p, r) in enumerate(zip(positions, _words(n)[positions - word_offset].tolist())):
        frac = float(Fraction((1 << 64) - r, 1 << 64))
        y = int(rng.integers(-300, 300)) + (frac if i % 2 == 0 else np.nextafter(frac, 0))
        x[p] = np.ldexp(y, -frac_bits)
    return x.astype(dtype)


def _check_quantize_group(rec, dtype, frac_bits, finite, g):
    """Every case (rounding x output storage x overflow mode) of quantize from ``dtype`` at
    ``frac_bits``, lengths 0..70 and 1000; ``finite``: the wrap cases (no +-inf input)."""
    rng = np.random.default_rng(g)
    formats = _out_formats(g)
    pool = _copy_aligned(_quantize_pool(frac_bits, formats, POOL, 0, finite, dtype, rng))
    long_offset = g % OFFSETS
    x_long = _copy_aligned(_quantize_pool(frac_bits, formats, LONG + OFFSETS, long_offset, finite, dtype, rng))
    x_long = x_long[long_offset:long_offset + LONG]
    inf2d = np.cumsum(np.isinf(_windows(pool)), axis=1)
    inf_long = int(np.isinf(x_long).sum())
    quantize = _elementwise.quantize
    view_cache = {}
    j = 0
    for rounding in ROUNDINGS:
        mode = MODE_CODE[rounding]
        rounded2d = _window_oracle(lambda x, r: _quantize_oracle(x, frac_bits, rounding, r), (pool,), rounding)
        rounded_long = _quantize_oracle(x_long, frac_bits, rounding, _words(LONG))
        for fmt in formats:
            lo, hi, w = fmt.min_raw, fmt.max_raw, fmt.word_bits
            jj = (g + j) % OFFSETS
            j += 1
            want = _expect_short(rounded2d, fmt, "wrap" if finite else "saturate", jj)
            for overflow in ["wrap"] if finite else ["saturate", "raise"]:
                ovf = OVF_CODE[overflow]
                x_views, = _views((pool,), jj, view_cache)
                rows, out_views, blank = _out_rows(fmt.dtype, jj)
                np.copyto(rows, blank)
                target = _elementwise.Target(fmt.dtype, lo=lo, hi=hi, w=w, rounding=mode, overflow=ovf)
                counts = [quantize(xv, target, frac_bits=frac_bits, out=ov, key=KEY)[1]
                          for xv, ov in zip(x_views, out_views)]
                ka, _ = _offsets(jj)
                bad = [f"length={n} offset={ka[n]}: NaN / inf counts {c[1:]}" for n, c in enumerate(counts)
                       if c[1] != 0 or c[2] != (inf2d[ka[n], n - 1] if n else 0)]
                bad += _check_short(rows, [c[0] for c in counts], want, jj)
                out = _blank(_long_out(fmt.dtype, LONG))
                _, count = quantize(x_long, target, frac_bits=frac_bits, out=out, key=KEY)
                bad += _check_long(out, count[0], rounded_long, fmt, overflow)
                if count[1:] != (0, inf_long):
                    bad.append(f"length={LONG}: NaN / inf counts {count[1:]}")
                rec.case(SHORT + 1, bad, lambda: f"quantize {dtype.__name__}->{fmt} frac_bits={frac_bits} "
                                                 f"{rounding} {overflow}")


@pytest.mark.parametrize("frac_bits", QUANTIZE_FRAC_BITS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_quantize_matrix(simd, dtype, frac_bits):
    rec = Recorder(simd)
    for finite in (False, True):
        _check_quantize_group(rec, dtype, frac_bits, finite, 10 * QUANTIZE_FRAC_BITS.index(frac_bits) + finite)
    rec.check()


# --- 1e5 elements: chunk boundaries and threads ----------------------------------------------------

# (op, a storage, b storage, stride, (da, db, s), rounding, overflow, output format)
HUGE_INT_CASES = [
    ("copy", np.int32, np.int32, "contiguous", (0, 0, 7), "stochastic", "wrap", Format(16, 0)),      # int32 lanes
    ("copy", np.int64, np.int64, "contiguous", (0, 0, 40), "floor", "saturate", Format(32, 0)),
    ("copy", np.int16, np.int16, "contiguous", (0, 0, -9), "nearest_even", "saturate", Format(32, 0)),  # widening
    ("add", np.int16, np.int16, "contiguous", (0, 0, 1), "nearest_away", "saturate", Format(16, 0)),
    ("subtract", np.uint8, np.int16, "b_broadcast", (3, 0, 3), "stochastic", "wrap", Format(12, 0)),
    ("multiply", np.int16, np.int32, "b_broadcast", (0, 0, 20), "stochastic", "saturate", Format(16, 0)),
    ("multiply", np.uint32, np.uint32, "contiguous", (0, 0, 32), "toward_zero", "wrap", Format(32, 0, False)),
    ("add", np.int8, np.int32, "contiguous", (60, 0, 60), "nearest_even", "saturate", Format(32, 0)),  # __int128
]


@pytest.mark.parametrize("case", HUGE_INT_CASES, ids=lambda c: f"{c[0]}-{np.dtype(c[1])}-{np.dtype(c[2])}-{c[5]}")
def test_int_op_1e5_elements_and_threads(simd, case):
    op, a_t, b_t, stride, (da, db, s), rounding, overflow, fmt = case
    a_t, b_t = np.dtype(a_t), np.dtype(b_t)
    rng = np.random.default_rng(5)
    targets = _targets(s, (fmt,))
    a, b = _pool(op, a_t, da, b_t, db, s, stride, HUGE + 5, 5, targets, rng)
    a, b = [v if v.size == 1 else _copy_aligned(v)[5:] for v in (a, b)]
    bits = _exact_bits(op, a_t, da, b_t, db)
    rounded = _int_oracle(op, np.broadcast_to(a, HUGE), da, np.broadcast_to(b, HUGE), db, s, rounding, _words(HUGE), bits)
    rec = Recorder(simd)
    for n_threads in (1, 2):
        out = np.full(HUGE, SENTINEL, fmt.dtype)
        _, count = _elementwise.int_op(op, a, b, kernel_target(fmt, rounding, overflow), out=out, a_shift=da,
                                       b_shift=db, s=s, key=KEY, n_threads=n_threads)
        rec.case(1, _check_long(out, count, rounded, fmt, overflow, n_threads), lambda: f"{case}")
    rec.check()


@pytest.mark.parametrize("dtype, rounding, overflow, fmt", [(np.float64, "stochastic", "saturate", Format(16, 12)),
                                                            (np.float32, "nearest_away", "wrap", Format(8, 4, False))])
def test_quantize_1e5_elements_and_threads(simd, dtype, rounding, overflow, fmt):
    rng = np.random.default_rng(6)
    x = _copy_aligned(_quantize_pool(fmt.frac_bits, [fmt], HUGE + 3, 3, overflow == "wrap", dtype, rng))[3:]
    rounded = _quantize_oracle(x, fmt.frac_bits, rounding, _words(HUGE))
    rec = Recorder(simd)
    for n_threads in (1, 2):
        out = np.full(HUGE, SENTINEL, fmt.dtype)
        _, counts = _elementwise.quantize(x, kernel_target(fmt, rounding, overflow), frac_bits=fmt.frac_bits,
                                          out=out, key=KEY, n_threads=n_threads)
        bad = _check_long(out, counts[0], rounded, fmt, overflow, n_threads)
        if counts[1:] != (0, int(np.isinf(x).sum())):
            bad.append(f"NaN / inf counts {counts[1:]}")
        rec.case(1, bad, lambda: f"quantize {dtype.__name__}->{fmt} {rounding} {overflow}")
    rec.check()


# --- the public functions on strided and broadcast views ---------------------------------------

# one format per storage dtype (plus a narrow one), and a few more per entry point
PUBLIC_FORMATS = [Format(8, 4), Format(8, -3, False), Format(16, 12), Format(16, 0, False), Format(32, 20),
                  Format(32, 31, False), Format(12, 5)]
SEED = 17
PUBLIC_KEY = fxp.random.Xorshift(SEED).random_raw()   # what rng=SEED draws


def _raws(fmt, shape, rng):
    raw = rng.integers(fmt.min_raw, fmt.max_raw, size=shape, endpoint=True)
    raw.flat[:4] = [fmt.min_raw, fmt.max_raw, 0, min(1, fmt.max_raw)][:raw.size]
    return raw.astype(fmt.dtype)


def _public_views(x):
    """(name, view) pairs of a (5, 8) raw array: contiguous, strided, reversed, transposed."""
    return [("contiguous", x), ("strided", x[::2, 1::3]), ("reversed", x[::-1, ::-1]), ("transposed", x.T)]


def _check_public(rec, name, run, want, n_over, overflow):
    """Compare ``run()`` (an FxpArray) with the reference (``want``, ``n_over``); under raise,
    FxpOverflowError exactly when the reference overflows."""
    try:
        with fxp.count_overflows() as counted:
            got = run()
    except fxp.FxpOverflowError:
        rec.case(1, [] if overflow == "raise" and n_over else ["raised FxpOverflowError"], name)
        return
    bad = []
    if overflow == "raise" and n_over:
        bad.append(f"no FxpOverflowError for {n_over} overflows")
    if got.raw.shape != np.shape(want) or not np.array_equal(got.raw, want):
        bad.append(f"values differ: {got.raw.ravel()[:6]} want {np.ravel(want)[:6]}")
    elif counted.total != n_over:
        bad.append(f"overflow count {counted.total} want {n_over}")
    rec.case(1, bad, name)


def _ref_overflow(overflow):
    return "saturate" if overflow == "raise" else overflow


def test_public_quantize_and_requantize(simd):
    rng = np.random.default_rng(8)
    rec = Recorder(simd)
    x = rng.uniform(-3, 3, (5, 8)) * 2.0 ** rng.integers(-8, 20, (5, 8))
    for dst in PUBLIC_FORMATS:
        for src in PUBLIC_FORMATS:
            raw = _raws(src, (5, 8), rng)
            for view_name, view in _public_views(raw):
                for rounding in ROUNDINGS:
                    for overflow in OVERFLOWS:
                        ro = _ref_overflow(overflow)
                        a = fxp.from_raw(view, src)
                        want = ref.requantize(view.astype(object), src.frac_bits, dst, rounding, ro, PUBLIC_KEY)
                        _check_public(rec, lambda: f"astype {src}->{dst} {view_name} {rounding} {overflow}",
                                      lambda: a.astype(dst, rounding, overflow, rng=SEED), *want, overflow)
                        k = int(rng.integers(-5, 6))
                        if -64 <= src.frac_bits - k <= 64:
                            want = ref.requantize(view.astype(object), src.frac_bits - k, dst, rounding, ro, PUBLIC_KEY)
                            _check_public(rec, lambda: f"ldexp {src} by {k} ->{dst} {view_name} {rounding} {overflow}",
                                          lambda: fxp.ldexp(a, k, dst, rounding, overflow, rng=SEED), *want, overflow)
        for dtype in (np.float64, np.float32):
            for view_name, view in _public_views(x.astype(dtype)):
                for rounding in ROUNDINGS:
                    for overflow in OVERFLOWS:
                        want = ref.quantize(view, dst, rounding, _ref_overflow(overflow), PUBLIC_KEY)
                        _check_public(rec, lambda: f"asarray {dtype.__name__}->{dst} {view_name} {rounding} {overflow}",
                                      lambda: fxp.asarray(view, dst, rounding, overflow, rng=SEED), *want, overflow)
    rec.check()


# broadcast operand shapes for (5, 8) arrays: none, a row, a column, a 0-d scalar, on either side
BROADCASTS = [((5, 8), (5, 8)), ((5, 8), (8,)), ((1, 8), (5, 8)), ((5, 8), (5, 1)), ((), (5, 8)), ((5, 8), ())]


@pytest.mark.parametrize("op", ["add", "subtract", "multiply"])
def test_public_binary(simd, op):
    rng = np.random.default_rng(9)
    rec = Recorder(simd)
    for fa in PUBLIC_FORMATS:
        for fb in PUBLIC_FORMATS:
            for shape_a, shape_b in BROADCASTS:
                a_raw, b_raw = _raws(fa, shape_a, rng), _raws(fb, shape_b, rng)
                if a_raw.ndim == 2 and a_raw.shape[0] == 5:
                    a_raw = np.ascontiguousarray(a_raw[::-1].T).T[::-1]   # strided, same values
                a, b = fxp.from_raw(a_raw, fa), fxp.from_raw(b_raw, fb)
                fo = PUBLIC_FORMATS[int(rng.integers(len(PUBLIC_FORMATS)))]
                for rounding in ROUNDINGS:
                    for overflow in OVERFLOWS:
                        want = getattr(ref, op)(a_raw.astype(object), fa.frac_bits, b_raw.astype(object), fb.frac_bits,
                                                fo, rounding, _ref_overflow(overflow), PUBLIC_KEY)
                        _check_public(rec, lambda: f"{op} {fa}{shape_a},{fb}{shape_b}->{fo} {rounding} {overflow}",
                                      lambda: getattr(fxp, op)(a, b, fo, rounding, overflow, rng=SEED), *want, overflow)
    rec.check()


def test_public_unary_and_reductions(simd):
    rng = np.random.default_rng(10)
    rec = Recorder(simd)
    for src in PUBLIC_FORMATS:
        raw = _raws(src, (5, 8), rng)
        for view_name, view in _public_views(raw):
            a = fxp.from_raw(view, src)
            obj = view.astype(object)
            for dst in PUBLIC_FORMATS:
                for rounding in ROUNDINGS:
                    for overflow in OVERFLOWS:
                        ro = _ref_overflow(overflow)
                        where = f"{src}->{dst} {view_name} {rounding} {overflow}"
                        want = ref.subtract(np.zeros_like(obj), src.frac_bits, obj, src.frac_bits, dst, rounding, ro, PUBLIC_KEY)
                        _check_public(rec, lambda: f"negative {where}",
                                      lambda: fxp.negative(a, dst, rounding, overflow, rng=SEED), *want, overflow)
                        want = ref.requantize(np.abs(obj), src.frac_bits, dst, rounding, ro, PUBLIC_KEY)
                        _check_public(rec, lambda: f"absolute {where}",
                                      lambda: fxp.absolute(a, dst, rounding, overflow, rng=SEED), *want, overflow)
                        for axis in (None, 0, 1):
                            total = np.asarray(obj.sum(axis=axis))
                            want = ref.requantize(total, src.frac_bits, dst, rounding, ro, PUBLIC_KEY)
                            _check_public(rec, lambda: f"sum axis={axis} {where}",
                                          lambda: fxp.sum(a, axis, dst, rounding, overflow, rng=SEED), *want, overflow)
            for rounding in ROUNDINGS:
                for axis in (None, 0, 1):
                    totals = np.asarray(obj.sum(axis=axis))
                    n = view.size // totals.size
                    words = ref.element_words(PUBLIC_KEY, totals.size) if rounding == "stochastic" else [0] * totals.size
                    want = np.array([ref.round_rational(Fraction(int(t), n), rounding, r)
                                     for t, r in zip(totals.ravel().tolist(), words)]).reshape(totals.shape)
                    _check_public(rec, lambda: f"mean {src} axis={axis} {view_name} {rounding}",
                                  lambda: fxp.mean(a, axis, rounding, rng=SEED), want.astype(src.dtype), 0, "saturate")
    rec.check()


# --- the oracle itself ------------------------------------------------------------------------------

@pytest.mark.parametrize("s", sorted({0, 1, 2, 13, 31, 32, 61, 62, 63, 64, 65, 90, 127, 130, -1, -31, -32, -64}))
def test_oracle_matches_reference(s):
    """The vectorised oracle (int64 and object paths) equals fxp/_reference.py's round_shift and
    narrow on edge and random values of every magnitude."""
    rng = np.random.default_rng(abs(s))
    words = _words(64)
    for bits in (7, 16, 31, 60, 63, 100):
        x = np.concatenate([rng.integers(-2**min(bits, 62), 2**min(bits, 62), 64 - 8), [0, 1, -1, 2, -2, 3, 5, -7]])
        x = x.astype(object) << max(0, bits - 62)
        if s > 0:
            x[:8] = [(1 << s) * k + d for k, d in [(3, 1 << (s - 1)), (-3, 1 << (s - 1)), (2, 1 << (s - 1)),
                                                   (-2, 1 << (s - 1)), (0, 1), (-1, 1), (5, -1), (0, 0)]]
        magnitude = max(abs(v).bit_length() for v in x.tolist())
        for rounding in ROUNDINGS:
            rounded = _int_oracle("copy", x, 0, x, 0, s, rounding, words, magnitude)
            for fmt in (Format(8, 0), Format(5, 0, False), Format(32, 0), Format(1, 0), Format(32, 0, False)):
                for overflow in ("saturate", "wrap"):
                    got, over = _narrow(rounded, fmt, overflow)
                    want = [ref.narrow(ref.round_shift(int(v), s, rounding, int(r)) if s > 0 else int(v) << -s,
                                       fmt, overflow) for v, r in zip(x.tolist(), words.tolist())]
                    assert got.tolist() == [v for v, _ in want], (bits, rounding, fmt, overflow)
                    assert over.tolist() == [o for _, o in want], (bits, rounding, fmt, overflow)


# --- the report -------------------------------------------------------------------------------------

def summary():
    """The matrix's totals so far (tests/conftest.py prints them after the run)."""
    return (f"dispatch matrix: {TALLY['cases']} cases ({TALLY['calls']} calls), {TALLY['mismatches']} mismatches "
            f"at SIMD level(s) {sorted(TALLY['levels'])}")


def test_zz_dispatch_matrix_report():
    """No mismatch in the whole matrix (runs last in file order; the per-test assertions name the
    failing cases)."""
    assert TALLY["mismatches"] == 0, summary()
