"""Cython entry point of the bounded-accumulator GEMM (C core in csrc/_gemm*.c).

Python (fxp/_gemm.py) validates, broadcasts batch dimensions and computes
per-batch offsets; this module only hands raw pointers and strides to C and
releases the GIL once for the whole (batched) product.
"""
import numpy as np
from fxp._kernels import _elementwise

cimport numpy as cnp
from libc.stdint cimport int64_t

cnp.import_array()

cdef extern from "_gemm.h":
    ctypedef struct fxp_gemm_args:
        const char *a
        int a_type
        Py_ssize_t a_rs, a_cs
        const Py_ssize_t *a_off
        const char *b
        int b_type
        Py_ssize_t b_rs, b_cs
        const Py_ssize_t *b_off
        int64_t *c
        Py_ssize_t n_batch, m, n, k
        int acc_bits
        int wrap
        Py_ssize_t chunk
        int n_threads
        int isa
        int force_row
        int out_int32
        int path
    int64_t fxp_gemm(fxp_gemm_args *g) noexcept nogil
    int fxp_gemm_best_isa() noexcept nogil
    enum:
        FXP_PATH_NONE
        FXP_PATH_BLIS16
        FXP_PATH_ROW32
        FXP_PATH_ROW64
        FXP_PATH_VNNI8

# operand storage the kernel reads: the elementwise type codes up to int32 (no uint32/int64)
_INT32_CODE = _elementwise.TYPE_CODES[np.dtype(np.int32)]
TYPE_CODES = {dt: code for dt, code in _elementwise.TYPE_CODES.items() if code <= _INT32_CODE}
PATH_NAMES = {FXP_PATH_NONE: "none", FXP_PATH_BLIS16: "blis16", FXP_PATH_ROW32: "row32",
              FXP_PATH_ROW64: "row64", FXP_PATH_VNNI8: "vnni8"}


def best_isa():
    """0 portable C, 1 AVX2, 2 AVX-512BW, 3 AVX-512 VNNI: the best kernel set this CPU runs
    (the SIMD levels 0-2 of csrc/fxp_cpu.h, VNNI within level 2 counted as 3)."""
    return fxp_gemm_best_isa()


def _elem_strides(x):
    item = x.itemsize
    strides = (x.strides[x.ndim - 2], x.strides[x.ndim - 1])
    if strides[0] % item or strides[1] % item:
        raise ValueError("operand strides must be multiples of the item size")
    return strides[0] // item, strides[1] // item


def accumulate(cnp.ndarray a,                        # IN (..., M, K) integer array
               cnp.ndarray b,                        # IN (..., K, N)
               const Py_ssize_t[::1] a_off,          # IN per batch item, in elements
               const Py_ssize_t[::1] b_off,          # IN
               int64_t[:, :, ::1] out,               # OUT (batch, M, N) accumulators
               *, int acc_bits, bint wrap=False, Py_ssize_t chunk=0, int n_threads=1, int isa=-1,
               bint force_row=False, bint allow_int32=False):
    """Bounded accumulation of raw products; returns (hit count, path name, int32).

    ``acc_bits``-bit accumulators, wrapping (``wrap``) or saturating after every addition;
    ``chunk`` > 0 sums runs of that many products in their own accumulator.
    ``a`` and ``b`` may be any strided views; batch item ``t`` starts at
    element offset ``a_off[t]`` / ``b_off[t]`` of their data pointers.  With
    ``allow_int32`` a single product may leave its accumulators as int32 in the
    first half of ``out`` (the third result says whether it did).  The kernel runs on exactly
    ``n_threads`` threads (fxp/_context.threads_for decides how many).  ``isa`` is for tests:
    -1 (default) takes the best kernel set FXP_SIMD_LEVEL allows, 0..3 force one (capped at
    ``best_isa()``).
    """
    cdef fxp_gemm_args g
    cdef int64_t hits
    if a.dtype not in TYPE_CODES or b.dtype not in TYPE_CODES:
        raise TypeError(f"unsupported operand dtypes {a.dtype}, {b.dtype}")
    if a_off.shape[0] != out.shape[0] or b_off.shape[0] != out.shape[0]:
        raise ValueError("batch offsets do not match the output batch")
    g.a = <const char *> cnp.PyArray_DATA(a)
    g.a_type = TYPE_CODES[a.dtype]
    g.a_rs, g.a_cs = _elem_strides(a)
    g.a_off = &a_off[0] if a_off.shape[0] else NULL
    g.b = <const char *> cnp.PyArray_DATA(b)
    g.b_type = TYPE_CODES[b.dtype]
    g.b_rs, g.b_cs = _elem_strides(b)
    g.b_off = &b_off[0] if b_off.shape[0] else NULL
    g.c = &out[0, 0, 0] if out.size else NULL
    g.n_batch = out.shape[0]
    g.m = out.shape[1]
    g.n = out.shape[2]
    g.k = a.shape[a.ndim - 1]
    g.acc_bits = acc_bits
    g.wrap = wrap
    g.chunk = chunk
    g.n_threads = n_threads
    g.isa = isa
    g.force_row = force_row
    g.out_int32 = allow_int32
    g.path = FXP_PATH_NONE
    if out.size == 0:
        return 0, PATH_NAMES[FXP_PATH_NONE], False
    with nogil:
        hits = fxp_gemm(&g)
    if hits < 0:
        raise MemoryError("fxp matmul: cannot allocate packing buffers")
    return int(hits), PATH_NAMES[g.path], bool(g.out_int32)

