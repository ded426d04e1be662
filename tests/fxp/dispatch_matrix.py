"""The dispatch matrix's machinery: the exact vectorised oracle, the value pools, the windows
of every length and offset, and the group runner of the int op (test_dispatch_matrix.py runs it;
its docstring describes the design)."""
import math
from fractions import Fraction
from functools import cache

import numpy as np

from fxp import Format, _reference as ref
from fxp._kernels import _elementwise
from fxp._modes import Overflow, Rounding
from fxp._raw import OVERFLOW_CODES, ROUNDING_CODES

ROUNDINGS = ref.ROUNDINGS
OVERFLOWS = ref.OVERFLOWS
MODE_CODE = {name: ROUNDING_CODES[Rounding(name)] for name in ROUNDINGS}
OVF_CODE = {name: OVERFLOW_CODES[Overflow(name)] for name in OVERFLOWS}
KEY = 0x243F6A8885A308D3
SHORT = 71                      # lengths 0..70
OFFSETS = 16                    # start offsets 0..15 elements
POOL = SHORT - 1 + OFFSETS      # the elements every (length, offset) window lies in
LONG = 1000
HUGE = 100_000
SENTINEL = 0x5A                 # every byte of an output row before the call

TYPES = [np.dtype(t) for t in (np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64)]
OUT_TYPES = TYPES[:-1]          # formats are at most 32 bits wide
# |x| <= 2**BITS[t] for x of dtype t (the kernel's type_bits)
BITS = {t: (max(-int(np.iinfo(t).min), int(np.iinfo(t).max) + 1) - 1).bit_length() for t in TYPES}
# the word widths of the output formats per storage: the full width and a narrower one
OUT_WIDTHS = {np.dtype(np.int8): (8, 1), np.dtype(np.uint8): (8, 5), np.dtype(np.int16): (16, 9),
              np.dtype(np.uint16): (16, 13), np.dtype(np.int32): (32, 17), np.dtype(np.uint32): (32, 25)}

# Shift classes of the int op: name -> candidates (da, db, s) for operand magnitude bits
# (bits_a, bits_b).  Each group takes one candidate of its class in turn (by its stride pattern
# and storages, see _int_groups), so over the groups of a first-operand storage every candidate
# runs; the candidates are
# chosen so that each branch of the C dispatch for the class is taken: int32 lanes
# (int_op32_fits), int64 lanes (int_op64_fits_avx512), the int64 chunk loop with near / far / left
# shifts (fxp_requantize_i64) and the __int128 loop (fits_int64 false).
COPY_SHIFTS = [0, 1, 9, 31,                      # int32 lanes (s <= 31) and int64 rounding
               32, 63, 64, 100,                  # right beyond the 32-bit lanes / the 64-bit word
               -1, -16, -23, -24, -31,           # widening copies: in int32 lanes up to 31 bits
               -32, -64]                         # left beyond the word
RIGHT_SMALL = [1, 16, 31]
RIGHT_BEYOND = [32, 47, 63, 64, 90]
LEFT = [-1, -31, -32, -64]


def kernel_target(fmt, rounding, overflow):
    """The kernels' output side for ``fmt`` and the modes named ``rounding``, ``overflow``."""
    return _elementwise.Target(fmt.dtype, lo=fmt.min_raw, hi=fmt.max_raw, w=fmt.word_bits,
                               rounding=MODE_CODE[rounding], overflow=OVF_CODE[overflow])


def _result_shifts(values):
    """Shift-class candidates (0, 0, s) for s in ``values`` (no operand alignment)."""
    return lambda bits_a, bits_b: [(0, 0, s) for s in values]


def _alignment(side):
    """Shift-class candidates with operand ``side`` ("a" or "b") aligned: in int32 lanes, just
    beyond them, at the int64 limit, just beyond it (__int128) and at the 2**126 limit; the
    result shift is 0, cancels the alignment or goes further right, up to 2**128 and beyond
    (the far rounding of fxp_shr_round_i128)."""
    def candidates(bits_a, bits_b):
        bits = bits_a if side == "a" else bits_b
        shifts = sorted({d for d in (1, 29 - bits, 30 - bits, 62 - bits, 63 - bits, 125 - bits) if d >= 1})
        pairs = [(d, (0, d, d + 7, d + bits)[i % 4]) for i, d in enumerate(shifts)] + [(shifts[-1], 128)]
        return [(d, 0, s) if side == "a" else (0, d, s) for d, s in pairs]
    return candidates


SHIFT_CLASSES = {
    "copy": {f"s{s}": _result_shifts([s]) for s in COPY_SHIFTS},
    "multiply": {"s0": _result_shifts([0]), "right1-31": _result_shifts(RIGHT_SMALL),
                 "right32+": _result_shifts(RIGHT_BEYOND), "left": _result_shifts(LEFT)},
}
SHIFT_CLASSES["add"] = dict(SHIFT_CLASSES["multiply"], a_aligned=_alignment("a"), b_aligned=_alignment("b"))
SHIFT_CLASSES["subtract"] = SHIFT_CLASSES["add"]
STRIDES = {"copy": ["contiguous", "a_broadcast"],
           "add": ["contiguous", "a_broadcast", "b_broadcast"]}
STRIDES["subtract"] = STRIDES["multiply"] = STRIDES["add"]
QUANTIZE_FRAC_BITS = [-20, -1, 0, 3, 15, 31, 64]   # scale < 1 (the underflow fix), 1, > 1

TALLY = {"cases": 0, "calls": 0, "mismatches": 0, "levels": set()}


@cache
def _all_words():
    return np.array(ref.element_words(KEY, HUGE), dtype=np.uint64)


def _words(n):
    """The random words of elements 0..n-1 under KEY (fxp/_reference.py) as uint64."""
    return _all_words()[:n]


def _aligned(n, dtype):
    """A 64-byte-aligned 1-D array of ``n`` elements of ``dtype`` (every byte SENTINEL)."""
    dtype = np.dtype(dtype)
    raw = np.full(n * dtype.itemsize + 64, SENTINEL, np.uint8)
    start = -raw.ctypes.data % 64
    return raw[start:start + n * dtype.itemsize].view(dtype)


@cache
def _type_range(t):
    return int(np.iinfo(t).min), int(np.iinfo(t).max)


# --- the exact oracle (vectorised) ------------------------------------------------------------

def _round_shift(x, s, rounding, r):
    """``ref.round_shift`` over an int64 or object array ``x`` (s > 0 right, s <= 0 left).

    Parameters
    ----------
    x : ndarray
        int64 when no intermediate reaches 2**62 (the caller checks), else object (Python ints).
    s : int
        Right shift; negative: exact left shift by ``-s``.
    rounding : str
        One of ``ROUNDINGS``.
    r : ndarray of uint64
        The elements' random words (stochastic only), broadcastable to ``x``.
    """
    if s <= 0:
        return x << -s
    one = 1 if x.dtype == object else np.int64(1)
    if rounding == "stochastic":
        if x.dtype == object:
            words = r.astype(object)
            offset = words >> (64 - s) if s <= 64 else words << (s - 64)
        else:
            offset = (r >> np.uint64(64 - s)).astype(np.int64)
        return (x + offset) >> s
    q = x >> s
    rem = x & ((one << s) - 1)
    half = one << (s - 1)
    if rounding == "floor":
        return q
    if rounding == "toward_zero":
        return q + ((rem != 0) & (q < 0)).astype(q.dtype)
    tie_up = (q & 1) == 1 if rounding == "nearest_even" else q >= 0
    return q + ((rem > half) | ((rem == half) & tie_up)).astype(q.dtype)


def _exact_bits(op, a_t, da, b_t, db):
    """Magnitude bits of the exact (unrounded) int op result."""
    if op == "copy":
        return BITS[a_t] + da
    if op == "multiply":
        return BITS[a_t] + BITS[b_t]
    return max(BITS[a_t] + da, BITS[b_t] + db) + 1


def _int_oracle(op, a, da, b, db, s, rounding, r, bits):
    """Rounded (not yet narrowed) results of the int op on operand arrays ``a``, ``b``.

    Returns the (int64) values clipped to +-2**40 and their low 32 bits: together they narrow
    exactly like the unbounded values into any format of at most 32 bits.
    """
    wide = bits + max(0, -s) > 61 or s > 61
    kind = object if wide else np.int64
    x, y = (v if v.dtype == kind else v.astype(np.int64).astype(kind) for v in (a, b))
    if op == "copy":
        exact = x
    elif op == "multiply":
        exact = x * y
    else:
        x, y = x << da, y << db
        exact = x + y if op == "add" else x - y
    return _narrowable(_round_shift(exact, s, rounding, r))


def _narrowable(v):
    """(v clipped to +-2**40 as int64, the low 32 bits of v as int64) of integer array ``v``."""
    clipped = np.clip(v, -(1 << 40), 1 << 40).astype(np.int64)
    return clipped, (v & 0xFFFFFFFF).astype(np.int64)


def _narrow(rounded, fmt, overflow):
    """``ref.narrow`` over the pair from ``_narrowable``: (values, overflowed flags)."""
    clipped, low = rounded
    over = (clipped < fmt.min_raw) | (clipped > fmt.max_raw)
    if overflow != "wrap":
        return np.minimum(np.maximum(clipped, fmt.min_raw), fmt.max_raw), over
    u = low & ((1 << fmt.word_bits) - 1)
    if fmt.signed:
        u = np.where(u >> (fmt.word_bits - 1) != 0, u - (1 << fmt.word_bits), u)
    return np.where(over, u, clipped), over


def _quantize_oracle(x, frac_bits, rounding, r):
    """Rounded (not narrowed) x * 2**frac_bits by ``ref.round_rational``; +-inf -> +-2**100."""
    scale = Fraction(2) ** frac_bits
    values = [(1 << 100) * (1 if xi > 0 else -1) if math.isinf(xi) else
              ref.round_rational(Fraction(xi) * scale, rounding, int(ri))
              for xi, ri in zip(x.ravel().tolist(), np.broadcast_to(r, x.shape).ravel().tolist())]
    return _narrowable(np.array(values, dtype=object).reshape(x.shape))


# --- value pools ------------------------------------------------------------------------------

def _out_formats(index):
    """The output formats of a group: every output storage, at width ``index`` of OUT_WIDTHS."""
    return [Format(OUT_WIDTHS[t][(index + i) % 2], 0, t.kind == "i") for i, t in enumerate(OUT_TYPES)]


@cache
def _targets(s, formats):
    """Exact results that round to just inside / outside each format's range, on and around
    the rounding ties (s > 0) or right at the edge of a left shift (s < 0)."""
    edges = {e for f in formats for e in (f.min_raw - 1, f.min_raw, f.max_raw, f.max_raw + 1, 0, -1, 1)}
    if s > 0:
        half = 1 << (s - 1)
        rems = {0, half, half - 1, half + 1, (1 << s) - 1}
        return tuple(sorted({(e << s) + rem for e in edges for rem in rems}))
    return tuple(sorted({(e >> -s) + d for e in edges for d in (0, 1)}))


def _carry_targets(s, words, rng):
    """Exact results at the stochastic carry boundary for the given random words: the offset
    floor(r * 2**(s-64)) takes each exactly to the next multiple of 2**s (rounds up) or one
    below it (rounds down), alternately."""
    out = []
    for i, r in enumerate(words.tolist()):
        offset = r >> (64 - s) if s <= 64 else r << (s - 64)
        base = int(rng.integers(-300, 300)) << s
        out.append(base + (1 << s) - offset - (i % 2))
    return out


def _solve(op, target, a_t, da, b_t, db, fixed, rng):
    """Operands (a, b) of dtypes a_t, b_t whose exact op result is ``target`` where they can
    hold it (else the nearest the clipping leaves); ``fixed`` = ("a" or "b", value) or None."""
    (a_lo, a_hi), (b_lo, b_hi) = _type_range(a_t), _type_range(b_t)

    def clip(v, lo, hi):
        return min(max(v, lo), hi)

    if op == "copy":
        return clip(target, a_lo, a_hi), 0
    if op == "multiply":
        if fixed is None:
            j = min(max(0, abs(target).bit_length() - BITS[a_t]), BITS[b_t] - 1)
            b = (1 << j) if target >= 0 or b_lo == 0 else -(1 << j)
            return clip(target // b, a_lo, a_hi), b
        side, v = fixed
        if side == "a":
            return v, clip(target // v, b_lo, b_hi) if v else int(rng.integers(b_lo, b_hi, endpoint=True))
        return clip(target // v, a_lo, a_hi) if v else int(rng.integers(a_lo, a_hi, endpoint=True)), v
    sign = 1 if op == "add" else -1
    if fixed is None:   # the coarser operand near target / its scale, so that the other can hold the rest
        if da >= db:
            b = int(rng.integers(b_lo, b_hi, endpoint=True))
            fixed = ("a", clip((target - sign * (b << db)) >> da, a_lo, a_hi))
        else:
            a = int(rng.integers(a_lo, a_hi, endpoint=True))
            fixed = ("b", clip(sign * (target - (a << da)) >> db, b_lo, b_hi))
    side, v = fixed
    if side == "a":   # (a << da) + sign * (b << db) == target
        return v, clip(sign * (target - (v << da)) >> db, b_lo, b_hi)
    return clip((target - sign * (v << db)) >> da, a_lo, a_hi), v


def _edges(t):
    lo, hi = _type_range(t)
    return [lo, hi, 0, 1, lo + 1, hi - 1, -1 if lo < 0 else 2]


def _pool(op, a_t, da, b_t, db, s, stride, n, word_offset, targets, rng):
    """Operand pools of ``n`` elements (a size-1 array for a broadcast operand): edge values,
    solved ``targets``, random values and, every third element of the 288 from ``word_offset``,
    values at the stochastic carry boundary of the word of element ``i - word_offset`` (s > 0)."""
    fixed_side = {"a_broadcast": "a", "b_broadcast": "b"}.get(stride)
    fixed = None
    if fixed_side:
        candidates = _edges(a_t if fixed_side == "a" else b_t)
        fixed = (fixed_side, candidates[int(rng.integers(len(candidates)))])
    pairs = [(x, y) for x in _edges(a_t)[:4] for y in _edges(b_t)[:4]]
    pairs += [_solve(op, targets[i], a_t, da, b_t, db, fixed, rng) for i in rng.permutation(len(targets))[:min(n // 3, 96)]]
    (a_lo, a_hi), (b_lo, b_hi) = _type_range(a_t), _type_range(b_t)
    filler = n - len(pairs)
    a = np.concatenate([np.array([x for x, _ in pairs], dtype=np.int64),
                        rng.integers(a_lo, a_hi, filler, dtype=np.int64, endpoint=True)])
    b = np.concatenate([np.array([y for _, y in pairs], dtype=np.int64),
                        rng.integers(b_lo, b_hi, filler, dtype=np.int64, endpoint=True)])
    order = rng.permutation(n)
    a, b = a[order], b[order]
    if s > 0:
        positions = np.arange(word_offset, min(n, word_offset + 3 * 96), 3)
        for p, target in zip(positions, _carry_targets(s, _words(n)[positions - word_offset], rng)):
            a[p], b[p] = _solve(op, target, a_t, da, b_t, db, fixed, rng)
    if fixed_side == "a":
        a = np.array([fixed[1]], dtype=np.int64)
    if fixed_side == "b":
        b = np.array([fixed[1]], dtype=np.int64)
    if op == "copy":
        b = a
    return a.astype(a_t), b.astype(b_t)


# --- running a group ----------------------------------------------------------------------------

@cache
def _offsets(j):
    """The start offsets of case ``j`` of a group for lengths 0..70: (operands, out) arrays
    (a and b start at the same offset, so that the pools' solved pairs stay pairs)."""
    ka = (np.arange(SHORT) + j) % OFFSETS
    return ka, (3 * ka + 5) % OFFSETS


@cache
def _scatter(j):
    """Flat indices (into the (SHORT, POOL) output rows, into the (OFFSETS, SHORT) oracle) of
    the elements case ``j`` writes."""
    ka, ko = _offsets(j)
    lengths = np.repeat(np.arange(SHORT), np.arange(SHORT))
    within = np.concatenate([np.arange(n) for n in range(SHORT)])
    return lengths * POOL + ko[lengths] + within, ka[lengths] * SHORT + within


@cache
def _window_index():
    return np.arange(OFFSETS)[:, None] + np.arange(SHORT)[None, :]


def _window_oracle(oracle, pools, rounding):
    """``oracle(*arrays, words)`` on the (OFFSETS, SHORT) windows of ``pools`` (row k: the
    windows at offset k, element i: word i); without stochastic rounding (no words) on the
    pools once, then windowed."""
    if rounding == "stochastic":
        return oracle(*[_windows(p) for p in pools], np.broadcast_to(_words(SHORT), (OFFSETS, SHORT)))
    flat = oracle(*[np.broadcast_to(p, POOL) for p in pools], np.uint64(0))
    return tuple(v[_window_index()] for v in flat)


def _windows(pool):
    """The (OFFSETS, SHORT) windows pool[k + i] (a size-1 pool: broadcast)."""
    if pool.size == 1:
        return np.broadcast_to(pool, (OFFSETS, SHORT))
    return pool[_window_index()]


class Recorder:
    """Collects the mismatches of one test (named cases) and adds its totals to TALLY."""

    def __init__(self, level):
        self.level = level
        self.failures = []
        TALLY["levels"].add(level)

    def case(self, calls, bad, name):
        """Count a case of ``calls`` kernel calls; ``bad``: descriptions of its failing calls;
        ``name()``: the case's description (only built for a failing case)."""
        TALLY["cases"] += 1
        TALLY["calls"] += calls
        if bad:
            TALLY["mismatches"] += len(bad)
            self.failures += [f"{name()} {b} simd{self.level}" for b in bad]

    def check(self):
        assert not self.failures, f"{len(self.failures)} mismatches:\n" + "\n".join(self.failures[:40])


@cache
def _out_rows(out_t, j):
    """Case ``j``'s output rows (SHORT, POOL) of dtype ``out_t``, the window of each length in
    them, and the rows' sentinel-filled blank (the rows are reused: reset them first)."""
    rows = _aligned(SHORT * POOL, out_t).reshape(SHORT, POOL)
    _, ko = _offsets(j)
    return rows, [rows[n, ko[n]:ko[n] + n] for n in range(SHORT)], rows.copy()


def _views(pools, j, cache):
    """Each pool's window for every length 0..70 at case ``j``'s offsets (a size-1 pool: itself),
    memoised in ``cache``."""
    if j not in cache:
        ka, _ = _offsets(j)
        cache[j] = [[p if p.size == 1 else p[ka[n]:ka[n] + n] for n in range(SHORT)] for p in pools]
    return cache[j]


def _expect_short(rounded2d, fmt, overflow, j):
    """The oracle's output rows (sentinels around the windows) and overflow count per length of
    case ``j``; ``rounded2d``: the (OFFSETS, SHORT) rounded values (from _narrowable) of the
    pools' windows at offset k (row k)."""
    ka, _ = _offsets(j)
    dst, src = _scatter(j)
    want, over = _narrow(rounded2d, fmt, overflow)
    want_rows = _out_rows(fmt.dtype, j)[2].copy()
    want_rows.flat[dst] = want.ravel()[src]
    cum = np.concatenate([np.zeros((OFFSETS, 1), np.int64), np.cumsum(over, axis=1)], axis=1)
    return want_rows, cum[ka, np.arange(SHORT)]


def _check_short(rows, counts, expected, j):
    """Descriptions of the lengths 0..70 of case ``j`` whose output row (sentinels included) or
    overflow count (``counts``: the kernel's, per length) differs from ``expected``
    (from _expect_short)."""
    want_rows, want_counts = expected
    counts = np.asarray(counts)
    bad = np.nonzero((rows != want_rows).any(axis=1) | (counts != want_counts))[0]
    return [f"length={n} offset={_offsets(j)[0][n]} (count {counts[n]} want {want_counts[n]})" for n in bad]


def _check_long(out, count, rounded, fmt, overflow, n_threads=1):
    """Descriptions of the mismatches of one long call (output ``out``, overflow ``count``)."""
    want, over = _narrow(rounded, fmt, overflow)
    bad = np.nonzero(out != want)[0]
    if bad.size or count != int(over.sum()):
        return [f"length={out.size} threads={n_threads}: {bad.size} elements differ (first {bad[:5].tolist()}), "
                f"count {count} want {int(over.sum())}"]
    return []


@cache
def _long_out(out_t, n):
    """A reused n-element output starting 3 elements past a cache line (reset it first)."""
    return _aligned(n + 3, out_t)[3:]


def _blank(out):
    out.view(np.uint8)[...] = SENTINEL
    return out


def _check_int_group(rec, op, a_t, b_t, stride, shift_class, shifts, g):
    """Every case (rounding x output storage x overflow mode) of one int-op group (operation,
    operand storages, strides, shifts), lengths 0..70 and 1000."""
    da, db, s = shifts
    rng = np.random.default_rng(g)
    formats = _out_formats(g)
    targets = _targets(s, tuple(formats))
    bits = _exact_bits(op, a_t, da, b_t, db)
    a_pool, b_pool = _pool(op, a_t, da, b_t, db, s, stride, POOL, 0, targets, rng)
    long_offset = g % OFFSETS
    a_long, b_long = _pool(op, a_t, da, b_t, db, s, stride, LONG + OFFSETS, long_offset, targets, rng)
    a_buf, b_buf = _copy_aligned(a_pool), _copy_aligned(b_pool)
    a_long, b_long = _copy_aligned(a_long), _copy_aligned(b_long)
    a_l = a_long if a_long.size == 1 else a_long[long_offset:long_offset + LONG]
    b_l = b_long if b_long.size == 1 else b_long[long_offset:long_offset + LONG]
    if op == "copy":
        b_l = a_l
    a_l1000, b_l1000 = np.broadcast_to(a_l, LONG), np.broadcast_to(b_l, LONG)
    int_op = _elementwise.int_op
    view_cache = {}
    j = 0
    for rounding in ROUNDINGS:
        mode = MODE_CODE[rounding]
        rounded2d = _window_oracle(lambda a, b, r: _int_oracle(op, a, da, b, db, s, rounding, r, bits),
                                   (a_pool, b_pool), rounding)
        rounded_long = _int_oracle(op, a_l1000, da, b_l1000, db, s, rounding, _words(LONG), bits)
        for fmt in formats:
            lo, hi, w = fmt.min_raw, fmt.max_raw, fmt.word_bits
            expected = {}
            for overflow in OVERFLOWS:
                ovf = OVF_CODE[overflow]
                wrap = overflow == "wrap"
                if wrap not in expected:   # saturate and raise: the same outputs, offsets and counts
                    jj = (g + j) % OFFSETS
                    j += 1
                    expected[wrap] = jj, _expect_short(rounded2d, fmt, overflow, jj)
                jj, want = expected[wrap]
                a_views, b_views = _views((a_buf, b_buf), jj, view_cache)
                rows, out_views, blank = _out_rows(fmt.dtype, jj)
                np.copyto(rows, blank)
                target = _elementwise.Target(fmt.dtype, lo=lo, hi=hi, w=w, rounding=mode, overflow=ovf)
                counts = [int_op(op, av, bv, target, out=ov, a_shift=da, b_shift=db, s=s, key=KEY)[1]
                          for av, bv, ov in zip(a_views, b_views, out_views)]
                bad = _check_short(rows, counts, want, jj)
                out = _blank(_long_out(fmt.dtype, LONG))
                _, count = int_op(op, a_l, b_l, target, out=out, a_shift=da, b_shift=db, s=s, key=KEY)
                bad += _check_long(out, count, rounded_long, fmt, overflow)
                rec.case(SHORT + 1, bad, lambda: f"{op} {a_t}{'' if op == 'copy' else ',' + str(b_t)}->{fmt} "
                                                 f"{stride} {shift_class}(da={da} db={db} s={s}) {rounding} {overflow}")


def _copy_aligned(pool):
    """``pool`` in a 64-byte-aligned buffer (offset k then starts k elements past a line)."""
    out = _aligned(pool.size, pool.dtype)
    out[...] = pool
    return out


def _int_groups(op, a_t):
    """The groups of int op ``op`` with first operand storage ``a_t``: (b_t, stride, shift
    class, shifts, group seed)."""
    groups = []
    for b_t in [a_t] if op == "copy" else TYPES:
        for k, stride in enumerate(STRIDES[op]):
            for name, candidates in SHIFT_CLASSES[op].items():
                options = candidates(BITS[a_t], BITS[b_t])
                turn = k + TYPES.index(b_t) + TYPES.index(a_t)
                g = len(groups) + 1000 * TYPES.index(a_t) + 100_000 * list(SHIFT_CLASSES).index(op)
                groups.append((b_t, stride, name, options[turn % len(options)], g))
    return groups
