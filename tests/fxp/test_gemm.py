"""fxp.matmul and its kernel against the sequential reference, bit for bit."""
import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fxp
from fxp import _gemm as gemm_module
from fxp import _reference
from fxp._gemm import accumulate_raw, gemm_raw
from fxp._reference_gemm import accumulate_reference
from fxp.random import Xorshift, draw_key
from simd import GEMM_ISAS

DTYPES = [np.int8, np.uint8, np.int16, np.uint16, np.int32]
ISAS = GEMM_ISAS
ROUNDINGS = ["nearest_even", "nearest_away", "floor", "toward_zero", "stochastic"]
RUY_SIZES = list(range(1, 11)) + [15, 16, 17, 31, 32, 33, 63, 64, 65]


def random_raw(rng, dtype, shape, scale=1):
    info = np.iinfo(dtype)
    lo = info.min // scale if info.min < 0 else 0
    return rng.integers(lo, info.max // scale + 1, size=shape).astype(dtype)


def check(a, b, acc_bits, acc_overflow="saturate", chunk=None, **kw):
    """Kernel accumulators and hit count equal the reference's."""
    ref, hit = accumulate_reference(a, b, acc_bits, acc_overflow, chunk)
    acc, hits, path = accumulate_raw(a, b, acc_bits, acc_overflow, chunk, **kw)
    np.testing.assert_array_equal(acc, ref.astype(np.int64))
    assert hits == int(hit.sum())
    return path, hits


@pytest.mark.parametrize("acc_overflow", ["saturate", "wrap"])
@pytest.mark.parametrize("acc_bits", [8, 16, 20, 31, 32, 33, 48, 63, 64])
@pytest.mark.parametrize("chunk", [None, 1, 3, 16])
def test_every_accumulator_mode(acc_bits, acc_overflow, chunk):
    rng = np.random.default_rng(acc_bits * 7 + (chunk or 0))
    for dt_a, dt_b in itertools.product(DTYPES, [np.int8, np.int16, np.int32]):
        for scale in (1, 256):
            a = random_raw(rng, dt_a, (9, 37), scale)
            b = random_raw(rng, dt_b, (37, 11), scale)
            for force_row in (False, True):
                check(a, b, acc_bits, acc_overflow, chunk, force_row=force_row,
                      isa=int(rng.choice(ISAS)))


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("size", RUY_SIZES)
def test_ruy_shapes(size, isa):
    rng = np.random.default_rng(size)
    for m, k, n in [(size, size, size), (size, 7, 33), (17, size, 5), (3, 65, size)]:
        a = random_raw(rng, np.int16, (m, k), 8)
        b = random_raw(rng, np.int16, (k, n), 8)
        # 32-bit: fast paths; 22-bit: checkpoints fail on some tiles -> exact fallback
        for acc_bits in (32, 22):
            check(a, b, acc_bits, isa=isa)
            check(a, b, acc_bits, isa=isa, force_row=True)


@pytest.mark.parametrize("k", [0, 1])
def test_tiny_k(k):
    rng = np.random.default_rng(k)
    a = random_raw(rng, np.int8, (5, k))
    b = random_raw(rng, np.int32, (k, 4))
    for acc_overflow in ("saturate", "wrap"):
        check(a, b, 16, acc_overflow)
        check(a, b, 64, acc_overflow, chunk=1)


def test_non_contiguous_and_transposed():
    rng = np.random.default_rng(3)
    big_a = random_raw(rng, np.int16, (40, 90), 4)
    big_b = random_raw(rng, np.int8, (70, 50))
    cases = [
        (big_a[::2, ::3], big_b[:30, ::-2]),                       # strided, negative stride
        (np.asfortranarray(big_a[:, :70]), big_b.T.copy().T),       # column-major
        (big_a[:33, :70].T.copy().T, big_b[::-1, :17]),
    ]
    for a, b in cases:
        for acc_bits in (24, 32, 40):
            check(a, b, acc_bits)
            check(a, b, acc_bits, "wrap", chunk=5)


def test_deep_k_saturates_and_comes_back():
    # partial sums climb far above the bound, then come back: the order matters
    k = 600
    a = np.full((3, k), 100, dtype=np.int16)
    b = np.concatenate([np.full(k // 2, 90), np.full(k // 2, -90)]).astype(np.int16)[:, None]
    b = np.repeat(b, 4, axis=1)
    exact = (a.astype(np.int64) @ b).ravel()
    assert (exact == 0).all()
    path, hits = check(a, b, 20)
    acc, _, _ = accumulate_raw(a, b, 20)
    assert hits == 12 and (acc < 0).all()        # clamped on the way up, not on the way down
    check(a, b, 20, chunk=64)                    # chunk sums saturate at the top level
    check(a, b, 20, "wrap")


def test_huge_k_refuses_fast_path():
    rng = np.random.default_rng(5)
    k = 20000
    a = random_raw(rng, np.int16, (2, k))
    b = random_raw(rng, np.int16, (k, 3))
    path, _ = check(a, b, 32)
    assert path == "row32"
    check(a, b, 40, chunk=1000)


def test_checkpoint_fallback_mixed_tiles():
    # some rows drift above the bound (flagged tiles recomputed exactly), others not
    rng = np.random.default_rng(6)
    a = random_raw(rng, np.int8, (70, 800), 4)
    a[::7] = np.abs(a[::7]) + 40
    b = np.abs(random_raw(rng, np.int8, (800, 40), 4)).astype(np.int8)
    path, hits = check(a, b, 20)
    assert path == "blis16" and 0 < hits < a.shape[0] * b.shape[1]


VNNI = 3 in GEMM_ISAS
BYTE_SHAPES = list(itertools.product([1, 5, 17, 31, 33, 63, 65], [1, 3, 31, 65], [1, 16, 32, 33, 63]))


@pytest.mark.parametrize("dt_a", [np.int8, np.uint8])
def test_byte_kernel_edge_values_and_shapes(dt_a):
    # vpdpbusd path (int8/uint8 A, int8 B, nothing can overflow): offset of signed A,
    # -128 * -128, 127, all-negative columns; every ISA and 1 or 2 threads agree
    rng = np.random.default_rng(11)
    info = np.iinfo(dt_a)
    for m, k, n in BYTE_SHAPES:
        a = random_raw(rng, dt_a, (m, k))
        b = random_raw(rng, np.int8, (k, n))
        a.flat[::3] = info.min
        a.flat[1::5] = info.max
        b[:, ::4] = -128                 # all-negative columns
        b[::7, 1::4] = 127
        for isa in ISAS:
            path, _ = check(a, b, 32, isa=isa, n_threads=1 + (m * n) % 2)
            assert path == ("vnni8" if isa >= 3 else "blis16")


@pytest.mark.skipif(not VNNI, reason="no AVX-512 VNNI on this CPU")
def test_byte_kernel_runs_here_and_refuses_unsafe():
    rng = np.random.default_rng(12)
    a = random_raw(rng, np.int8, (40, 300))
    b = random_raw(rng, np.int8, (300, 50))
    assert check(a, b, 32)[0] == "vnni8"
    assert check(a, b, 32, n_threads=2)[0] == "vnni8"
    assert check(a, b, 32, force_row=True)[0] == "row32"
    assert check(a.astype(np.uint8), b, 32)[0] == "vnni8"
    assert check(a, b.astype(np.uint8), 32)[0] == "blis16"   # unsigned B: the int16 kernel
    assert check(a, b, 16)[0] != "vnni8"                     # bound can be reached
    assert check(a, b, 32, "wrap")[0] == "vnni8"              # bound proves no wrap either
    # non-contiguous, transposed and reversed operands
    big_a = random_raw(rng, np.int8, (90, 200))
    big_b = random_raw(rng, np.int8, (200, 80))
    for x, y in [(big_a[::2, ::3], big_b[:67, ::-2]), (np.asfortranarray(big_a), big_b),
                 (big_a[::-1, :70], np.asfortranarray(big_b[:70]))]:
        assert check(x, y, 32)[0] == "vnni8"


@pytest.mark.skipif(not VNNI, reason="no AVX-512 VNNI on this CPU")
def test_byte_kernel_deep_k():
    # K * 255 * 128 > 2**31: the offset sums exceed int32 but stay exact modulo 2**32;
    # the worst-case bound (K * 2**14 < 2**31) still proves the final sums fit int32
    k = 70000
    a = np.full((3, k), -128, dtype=np.int8)
    a[1] = 127
    a[2, ::2] = 0
    b = np.full((k, 5), -128, dtype=np.int8)
    b[:, 1] = 127
    b[::3, 2] = 1
    for n_threads in (1, 2):
        assert check(a, b, 32, n_threads=n_threads)[0] == "vnni8"


@pytest.mark.parametrize("dtype", [np.int8, np.int16])
def test_threads_split_columns(dtype):
    # with two threads and >= 4 column blocks of 64 each thread runs its own columns;
    # 20-bit accumulator: some (row, block) tiles fail their checkpoints and are redone
    rng = np.random.default_rng(13)
    for m, k, n in [(5, 130, 257), (33, 64, 300), (70, 200, 449)]:
        a = random_raw(rng, dtype, (m, k), 1 if dtype == np.int8 else 64)
        b = random_raw(rng, dtype, (k, n), 1 if dtype == np.int8 else 64)
        a[::4] = np.abs(a[::4]) // 2 + 40
        b[:, ::3] = np.abs(b[:, ::3]) // 2 + 40
        for acc_bits in (20, 32):
            for isa in ISAS:
                check(a, b, acc_bits, isa=isa, n_threads=2)
        check(a.T.copy().T, b[:, ::-1], 32, n_threads=2)


def test_batched_broadcast_offsets():
    rng = np.random.default_rng(7)
    a = random_raw(rng, np.int16, (2, 1, 6, 9), 16)
    b = random_raw(rng, np.int16, (3, 9, 5), 16)[:, :, ::-1]
    acc, hits, _ = accumulate_raw(a, b, 18)
    assert acc.shape == (2, 3, 6, 5)
    total = 0
    for i, j in itertools.product(range(2), range(3)):
        ref, hit = accumulate_reference(a[i, 0], b[j], 18)
        np.testing.assert_array_equal(acc[i, j], ref)
        total += hit.sum()
    assert hits == total


def gemm_reference(a, fa, b, fb, fmt, rounding, overflow, acc_bits, acc_overflow, chunk, key):
    acc, _ = accumulate_reference(a, b, acc_bits, acc_overflow, chunk)
    return _reference.requantize(acc.astype(object), fa.frac_bits + fb.frac_bits, fmt,
                                 rounding, overflow, key)


@pytest.mark.parametrize("rounding", ROUNDINGS)
@pytest.mark.parametrize("overflow", ["saturate", "wrap"])
def test_output_rounding_matches_reference(rounding, overflow):
    rng = np.random.default_rng(8)
    fa, fb = fxp.Format(16, 12), fxp.Format(8, 5)
    a = random_raw(rng, np.int16, (13, 21), 4)
    b = random_raw(rng, np.int8, (21, 17))
    for out in (fxp.Format(16, 10), fxp.Format(8, 2), fxp.Format(32, 20), fxp.Format(12, -2)):
        for acc_bits, chunk in ((24, None), (28, 4), (64, None)):
            raw, fmt, _, n_over = gemm_raw(a, fa, b, fb, out, rounding, overflow,
                                           fxp.Accumulator(acc_bits, "saturate", chunk),
                                           rng=Xorshift(11), n_threads=1)
            key = draw_key(Xorshift(11)) if rounding == "stochastic" else 0
            ref, ref_over = gemm_reference(a, fa, b, fb, out, rounding, overflow, acc_bits,
                                           "saturate", chunk, key)
            np.testing.assert_array_equal(raw, ref)
            assert raw.dtype == out.dtype and n_over == ref_over


def test_thread_invariance_stochastic(monkeypatch):
    rng = np.random.default_rng(9)
    fa = fxp.Format(16, 12)
    a = random_raw(rng, np.int16, (150, 300), 2)
    b = random_raw(rng, np.int16, (300, 260), 2)
    results = []
    for n_threads, force_row in ((1, False), (2, False), (1, True), (2, True)):
        acc, hits, _ = accumulate_raw(a, b, 28, n_threads=n_threads, force_row=force_row)
        raw, _ = fxp._gemm.round_accumulators(acc, 24, fa, fxp.Rounding.STOCHASTIC,
                                              fxp.Overflow.SATURATE, 1234, n_threads)
        results.append((raw, hits))
    for raw, hits in results[1:]:
        np.testing.assert_array_equal(raw, results[0][0])
        assert hits == results[0][1]
    monkeypatch.setattr(gemm_module, "PARALLEL_MACS", 0)   # small as it is, run it on two threads
    x, y = fxp.from_raw(a, fa), fxp.from_raw(b, fa)
    one = fxp.matmul(x, y, rounding="stochastic", acc_bits=28, rng=5, n_threads=1)
    two = fxp.matmul(x, y, rounding="stochastic", acc_bits=28, rng=5, n_threads=2)
    np.testing.assert_array_equal(one.raw, two.raw)


def test_small_products_run_on_one_thread_whatever_is_asked():
    from fxp._context import threads_for
    assert threads_for(gemm_module.PARALLEL_MACS - 1, 2, gemm_module.PARALLEL_MACS) == 1
    assert threads_for(gemm_module.PARALLEL_MACS, 2, gemm_module.PARALLEL_MACS) == threads_for(1 << 40, 2)
    with pytest.raises(ValueError, match="n_threads"):   # still validated below the threshold
        threads_for(1, 0)


def test_matmul_shapes_like_numpy():
    rng = np.random.default_rng(10)
    fmt = fxp.Format(8, 3)
    out = fxp.Format(32, 6)   # exact: no rounding, no overflow
    shapes = [((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 5)), ((3, 4), (4, 5)),
              ((2, 3, 4), (4,)), ((4,), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)), ((1, 3, 4), (6, 4, 2))]
    for sa, sb in shapes:
        x = fxp.from_raw(random_raw(rng, np.int8, sa), fmt)
        y = fxp.from_raw(random_raw(rng, np.int8, sb), fmt)
        got = fxp.matmul(x, y, out_format=out)
        want = np.matmul(x.to_float(), y.to_float())
        assert got.shape == want.shape
        np.testing.assert_array_equal(got.to_float(), want)
    z = x @ y       # the exact default: 4 products of s8.3 need s18.6
    assert z.fmt == fxp.Format(18, 6) and z.shape == (6, 3, 2)
    np.testing.assert_array_equal(z.to_float(), np.matmul(x.to_float(), y.to_float()))


def test_accumulator_hits_are_counted():
    a = fxp.asarray([[7.0] * 64], "s8.4")
    b = fxp.asarray([[7.0]] * 64, "s8.4")
    with fxp.count_overflows() as ovf:
        r = fxp.matmul(a, b, out_format="s16.8", acc_bits=16)
    assert r.to_float()[0, 0] == 32767 / 256 and ovf.saturated == 1
    with fxp.count_overflows() as ovf:
        fxp.matmul(a, b, out_format="s16.8", acc_bits=16, acc_overflow="wrap")
    assert ovf.wrapped == 1


def test_accumulator_spec_equals_the_shorthands():
    rng = np.random.default_rng(5)
    a = fxp.from_raw(random_raw(rng, np.int8, (3, 70)), "s8.4")
    b = fxp.from_raw(random_raw(rng, np.int8, (70, 2)), "s8.4")
    for bits, overflow, chunk in ((None, "saturate", None), (14, "wrap", 8), (12, fxp.Overflow.SATURATE, None)):
        acc = fxp.Accumulator(bits, overflow, chunk)
        with fxp.count_overflows() as by_acc:
            got = fxp.matmul(a, b, "s16.6", "stochastic", acc=acc, rng=3)
        with fxp.count_overflows() as by_keywords:
            want = fxp.matmul(a, b, "s16.6", "stochastic", acc_bits=bits, acc_overflow=overflow,
                              chunk=chunk, rng=3)
        np.testing.assert_array_equal(got.raw, want.raw)
        assert (by_acc.saturated, by_acc.wrapped) == (by_keywords.saturated, by_keywords.wrapped)
    assert fxp.Accumulator(16, "wrap") == fxp.Accumulator(16, fxp.Overflow.WRAP)
    assert fxp.Accumulator().overflow is fxp.Overflow.SATURATE


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(bits=1), ValueError, "2..64"),
    (dict(bits=8.0), TypeError, "integer"),
    (dict(overflow="raise"), ValueError, "'saturate' or 'wrap'"),
    (dict(overflow=fxp.Overflow.RAISE), ValueError, "'saturate' or 'wrap'"),
    (dict(overflow="clip"), ValueError, "'saturate' or 'wrap'"),
    (dict(chunk=0), ValueError, "positive"),
    (dict(chunk=True), ValueError, "positive"),
])
def test_accumulator_validation(kwargs, error, match):
    with pytest.raises(error, match=match):
        fxp.Accumulator(**kwargs)


def test_accumulator_and_shorthands_together_raise():
    a = fxp.asarray(np.ones((2, 3)), "s8.4")
    for shorthand in (dict(acc_bits=16), dict(acc_overflow="saturate"), dict(chunk=2)):
        with pytest.raises(TypeError, match="not both"):
            fxp.matmul(a, a.T, acc=fxp.Accumulator(16), **shorthand)
    with pytest.raises(TypeError, match="fxp.Accumulator"):
        fxp.matmul(a, a.T, acc=16)


def test_default_accumulator_is_exact():
    rng = np.random.default_rng(12)
    fmt = fxp.Format(16, 8)
    x = fxp.from_raw(random_raw(rng, np.int16, (5, 300)), fmt)
    y = fxp.from_raw(random_raw(rng, np.int16, (300, 4)), fmt)
    got = fxp.matmul(x, y, out_format=fxp.Format(32, 0), rounding="floor", overflow="wrap")
    exact = x.raw.astype(object) @ y.raw.astype(object)
    want = [[((v >> 16) + 2**31) % 2**32 - 2**31 for v in row] for row in exact]
    np.testing.assert_array_equal(got.raw, np.array(want, dtype=np.int64))


@pytest.mark.parametrize("fa, fb", [("u17.0", "s16.4"), ("u24.3", "u31.0"), ("u31.0", "u31.0"),
                                    ("u31.2", "s32.1"), ("u20.-3", "u8.8"), ("s8.0", "u31.5")])
@pytest.mark.parametrize("acc_bits, acc_overflow", [(None, "saturate"), (40, "saturate"), (40, "wrap")])
def test_unsigned_17_to_31_bit_operands(simd, fa, fb, acc_bits, acc_overflow):
    """uint32-stored operands (u17..u31) multiply bit-exactly like the reference (they raised a
    TypeError from the kernel); u32 keeps its clear error."""
    fa, fb = fxp.Format.parse(fa), fxp.Format.parse(fb)
    rng = np.random.default_rng(21)
    a = rng.integers(fa.min_raw, fa.max_raw + 1, (7, 19), dtype=np.int64)
    b = rng.integers(fb.min_raw, fb.max_raw + 1, (19, 5), dtype=np.int64)
    a[0], b[:, 0] = fa.max_raw, fb.max_raw          # the largest products
    b[:, 1] = fb.min_raw
    x, y = fxp.from_raw(a.astype(fa.dtype), fa), fxp.from_raw(b.astype(fb.dtype), fb)
    out = fxp.Format(32, fa.frac_bits + fb.frac_bits - 30)
    bits = acc_bits or min(64, fxp.analysis.worst_case_acc_bits(fa, fb, 19))
    for rounding in ROUNDINGS:
        got = fxp.matmul(x, y, out, rounding, "saturate", acc_bits, acc_overflow, rng=Xorshift(3))
        want, _ = gemm_reference(a, fa, b, fb, out, rounding, "saturate", bits, acc_overflow, None,
                                 draw_key(Xorshift(3)))
        np.testing.assert_array_equal(got.raw, want, err_msg=rounding)
    t = fxp.matmul(x[:, ::-2], y[::-2, :].T.copy().T)             # strided operands
    want, _ = gemm_reference(a[:, ::-2], fa, b[::-2], fb, t.fmt, "nearest_even", "saturate", 64,
                             "saturate", None, 0)
    np.testing.assert_array_equal(t.raw, want)
    with pytest.raises(ValueError, match="use at most u31"):
        fxp.matmul(fxp.zeros((1, 19), "u32.0"), y)


def test_overflow_raise():
    a = fxp.asarray([[7.0] * 4], "s8.4")
    with pytest.raises(fxp.FxpOverflowError, match="1 of 1"):
        fxp.matmul(a, a.T, out_format="s8.4", overflow="raise")
    assert fxp.matmul(a, a.T, overflow="raise").to_float() == 196.0    # the exact default


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(acc_bits=1), ValueError, "acc_bits"),
    (dict(acc_bits=65), ValueError, "acc_bits"),
    (dict(acc_bits=16.0), TypeError, "acc_bits"),
    (dict(acc_overflow="clip"), ValueError, "acc_overflow"),
    (dict(chunk=0), ValueError, "chunk"),
    (dict(rounding="up"), ValueError, "rounding"),
])
def test_bad_arguments(kwargs, error, match):
    a = fxp.asarray(np.ones((2, 3)), "s8.4")
    with pytest.raises(error, match=match):
        fxp.matmul(a, a.T, **kwargs)


def test_bad_operands():
    a = fxp.asarray(np.ones((2, 3)), "s8.4")
    with pytest.raises(ValueError, match="shape mismatch"):
        fxp.matmul(a, a)
    with pytest.raises(TypeError, match="FxpArray"):
        fxp.matmul(a, np.ones((3, 2)))
    with pytest.raises(ValueError, match="u32"):
        fxp.matmul(a, fxp.asarray(np.ones((3, 2)), "u32.4"))
    with pytest.raises(ValueError, match="n_threads"):
        fxp.matmul(a, a.T, n_threads=0)


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(m=st.integers(1, 20), k=st.integers(0, 40), n=st.integers(1, 20),
       dt_a=st.sampled_from(DTYPES), dt_b=st.sampled_from(DTYPES),
       scale=st.sampled_from([1, 16, 1024]), acc_bits=st.integers(2, 64),
       acc_overflow=st.sampled_from(["saturate", "wrap"]),
       chunk=st.one_of(st.none(), st.integers(1, 50)), force_row=st.booleans(),
       isa=st.sampled_from(ISAS), seed=st.integers(0, 2**32 - 1))
def test_property_kernel_equals_reference(m, k, n, dt_a, dt_b, scale, acc_bits, acc_overflow,
                                          chunk, force_row, isa, seed):
    rng = np.random.default_rng(seed)
    a = random_raw(rng, dt_a, (m, k), scale)
    b = random_raw(rng, dt_b, (k, n), scale)
    check(a, b, acc_bits, acc_overflow, chunk, force_row=force_row, isa=isa)


def test_rounding_of_64_bit_accumulators():
    # int32 extremes: products of 2**62, sums clamped at the int64 bounds
    a = np.array([[-2**31, -2**31, 2**31 - 1, -2**31]], dtype=np.int32)
    b = np.array([[-2**31], [-2**31], [2**31 - 1], [5]], dtype=np.int32)
    fa = fb = fxp.Format(32, 20)
    for out in (fxp.Format(32, 0), fxp.Format(32, -20), fxp.Format(16, 8)):
        for rounding in ROUNDINGS:
            raw, _, hits, n_over = gemm_raw(a, fa, b, fb, out, rounding, "saturate",
                                            fxp.Accumulator(64), rng=Xorshift(2), n_threads=1)
            key = draw_key(Xorshift(2)) if rounding == "stochastic" else 0
            ref, ref_over = gemm_reference(a, fa, b, fb, out, rounding, "saturate", 64,
                                           "saturate", None, key)
            np.testing.assert_array_equal(raw, ref)
            assert hits == 1 and n_over == ref_over


@pytest.mark.parametrize("acc_bits", [24, 32])
def test_four_row_kernel_many_blocks(acc_bits):
    # most (row, block) tasks saturate: the four-row kernel takes them in (block, row) quads,
    # padded at block ends; the rest stay on the single-row loops
    rng = np.random.default_rng(acc_bits)
    a = random_raw(rng, np.int16, (37, 300))
    a[::5] //= 512                      # some rows never saturate
    b = random_raw(rng, np.int16, (300, 150))
    for isa in ISAS:
        check(a, b, acc_bits, isa=isa)
        check(a, b, acc_bits, isa=isa, force_row=True)
        check(a, b, acc_bits, isa=isa, n_threads=2)


formats = st.builds(fxp.Format, st.integers(2, 16), st.integers(-4, 16), st.booleans())


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(fa=formats, fb=formats, out=st.builds(fxp.Format, st.integers(2, 32), st.integers(-8, 32)),
       m=st.integers(1, 9), k=st.integers(0, 30), n=st.integers(1, 9),
       rounding=st.sampled_from(ROUNDINGS), overflow=st.sampled_from(["saturate", "wrap"]),
       acc_bits=st.one_of(st.none(), st.integers(2, 64)),
       acc_overflow=st.sampled_from(["saturate", "wrap"]),
       chunk=st.one_of(st.none(), st.integers(1, 12)), seed=st.integers(0, 2**32 - 1))
def test_property_public_matmul_equals_reference(fa, fb, out, m, k, n, rounding, overflow, acc_bits,
                                                 acc_overflow, chunk, seed):
    rng = np.random.default_rng(seed)
    a = fxp.from_raw(rng.integers(fa.min_raw, fa.max_raw + 1, (m, k)).astype(fa.dtype), fa)
    b = fxp.from_raw(rng.integers(fb.min_raw, fb.max_raw + 1, (k, n)).astype(fb.dtype), fb)
    got = fxp.matmul(a, b, out, rounding, overflow, acc_bits, acc_overflow, chunk,
                     rng=Xorshift(seed), n_threads=1)
    bits = acc_bits or fxp.analysis.worst_case_acc_bits(fa, fb, k)
    key = draw_key(Xorshift(seed)) if rounding == "stochastic" else 0
    ref, _ = gemm_reference(a.raw, fa, b.raw, fb, out, rounding, overflow, max(2, min(64, bits)),
                            acc_overflow, chunk, key)
    np.testing.assert_array_equal(got.raw, ref)
    assert got.fmt == out
