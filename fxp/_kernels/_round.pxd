# Rounding and narrowing primitives (contracts in csrc/fxp_round.h; twin: fxp/_reference.py).
# The mode codes reach Python as _elementwise.ROUNDING_CODES / OVERFLOW_CODES (fxp/_ops.py maps
# fxp.Rounding / fxp.Overflow through them).  _elementwise.pyx cimports the codes and the test
# wrappers in _primitives.pyx the functions; the C kernels include fxp_round.h.
from libc.stdint cimport int64_t, uint64_t

cdef extern from "fxp_round.h" nogil:
    enum:
        FXP_NEAREST_EVEN
        FXP_NEAREST_AWAY
        FXP_FLOOR
        FXP_TOWARD_ZERO
        FXP_STOCHASTIC
        FXP_SATURATE
        FXP_WRAP
        FXP_RAISE
    ctypedef long long fxp_i128 "fxp_i128"   # __int128 (declared as an opaque wide integer)
    # round x / 2**s (s >= 0, any size) with `mode`; r: random word for stochastic
    int64_t fxp_shr_round_i64(int64_t x, int s, int mode, uint64_t r) noexcept
    # one rounding by s = src_frac - dst_frac (left shift when s < 0), then saturate / wrap
    # narrowing into [lo, hi] (w-bit word), counting overflows in n_over[0]
    int64_t fxp_requantize_i64(int64_t x, int s, int mode, uint64_t r, int64_t lo, int64_t hi,
                               int w, int ovf, int64_t *n_over) noexcept
    # 128-bit twins (gcc/clang): products and sums wider than 64 bits
    fxp_i128 fxp_shr_round_i128(fxp_i128 x, int s, int mode, uint64_t r) noexcept
    int64_t fxp_narrow_i128(fxp_i128 v, int64_t lo, int64_t hi, int w, int ovf, int64_t *n_over) noexcept
    # round a finite double to an integral double; stochastic: floor(y + r * 2**-64)
    double fxp_round_double(double y, int mode, uint64_t r) noexcept
