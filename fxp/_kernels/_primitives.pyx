"""Array wrappers of the inline primitives in _round.pxd, for the tests only (not a public API)."""
import numpy as np

from libc.stdint cimport int64_t, uint64_t

# the C mode codes by name, for the tests
from fxp._kernels._elementwise import OVERFLOW_CODES, ROUNDING_CODES

from fxp._kernels._round cimport (fxp_i128, fxp_narrow_i128, fxp_requantize_i64,
                                  fxp_round_double, fxp_shr_round_i128, fxp_shr_round_i64)


def shr_round_i64(const int64_t[::1] x, int s, int mode, const uint64_t[::1] r):
    """fxp_shr_round_i64 over arrays."""
    out = np.empty(x.shape[0], dtype=np.int64)
    cdef int64_t[::1] o = out
    cdef Py_ssize_t i
    for i in range(x.shape[0]):
        o[i] = fxp_shr_round_i64(x[i], s, mode, r[i])
    return out


def requantize_i64(const int64_t[::1] x, int s, int mode, const uint64_t[::1] r,
                   int64_t lo, int64_t hi, int w, int ovf):
    """fxp_requantize_i64 over arrays: (values, overflow count)."""
    out = np.empty(x.shape[0], dtype=np.int64)
    cdef int64_t[::1] o = out
    cdef int64_t n_over = 0
    cdef Py_ssize_t i
    for i in range(x.shape[0]):
        o[i] = fxp_requantize_i64(x[i], s, mode, r[i], lo, hi, w, ovf, &n_over)
    return out, n_over


def shr_round_narrow_i128(const int64_t[::1] hi_words, const uint64_t[::1] lo_words, int s, int mode,
                          const uint64_t[::1] r, int64_t lo, int64_t hi, int w, int ovf):
    """fxp_shr_round_i128 then fxp_narrow_i128 on x = hi_word * 2**64 + lo_word."""
    out = np.empty(hi_words.shape[0], dtype=np.int64)
    cdef int64_t[::1] o = out
    cdef int64_t n_over = 0
    cdef fxp_i128 x
    cdef Py_ssize_t i
    for i in range(hi_words.shape[0]):
        x = ((<fxp_i128> hi_words[i]) << 64) | <fxp_i128> lo_words[i]
        o[i] = fxp_narrow_i128(fxp_shr_round_i128(x, s, mode, r[i]), lo, hi, w, ovf, &n_over)
    return out, n_over


def round_double(const double[::1] y, int mode, const uint64_t[::1] r):
    """fxp_round_double over arrays."""
    out = np.empty(y.shape[0], dtype=np.float64)
    cdef double[::1] o = out
    cdef Py_ssize_t i
    for i in range(y.shape[0]):
        o[i] = fxp_round_double(y[i], mode, r[i])
    return out
