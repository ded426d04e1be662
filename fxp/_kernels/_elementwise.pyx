"""Python entry points of the elementwise C kernels (csrc/fxp_elementwise.h).

Callers (fxp/_raw.py, fxp/_gemm.py) validate everything; these wrappers only take contiguous
arrays of the right dtypes, release the GIL once per call and return the output and its
overflow counts.  The output side of a call (storage dtype, range, rounding and overflow codes)
is a :class:`Target`, built once and reused; the per-call parameters are keywords.  (Both cost
less per call than the 10-14 positional arguments they replace: docs/results/small-calls.md.)
"""
import numpy as np

cimport numpy as cnp
from libc.math cimport ldexp
from libc.stdint cimport int64_t, uint64_t

from fxp._kernels._round cimport (FXP_FLOOR, FXP_NEAREST_AWAY, FXP_NEAREST_EVEN, FXP_RAISE,
                                  FXP_SATURATE, FXP_STOCHASTIC, FXP_TOWARD_ZERO, FXP_WRAP)

cnp.import_array()

cdef extern from "fxp_types.h" nogil:
    enum:
        FXP_I8
        FXP_U8
        FXP_I16
        FXP_U16
        FXP_I32
        FXP_U32
        FXP_I64
    int fxp_type_magnitude_bits(int t)

cdef extern from "fxp_elementwise.h" nogil:
    ctypedef struct fxp_int_op_t:
        const void *a
        int a_type
        int64_t a_stride
        int a_shift
        const void *b
        int b_type
        int64_t b_stride
        int b_shift
        int op
        void *out
        int out_type
        int s
        int mode
        int ovf
        int64_t lo
        int64_t hi
        int w
        uint64_t key
    ctypedef struct fxp_quantize_t:
        const double *x
        const float *x32
        void *out
        int out_type
        double scale
        int mode
        int ovf
        int64_t lo
        int64_t hi
        int w
        uint64_t key
    void fxp_int_op(const fxp_int_op_t *p, int64_t n, int n_threads, int64_t *n_over)
    void fxp_quantize(const fxp_quantize_t *p, int64_t n, int n_threads, int64_t counts[3])
    int fxp_simd_level(int want)
    enum:
        FXP_OP_COPY
        FXP_OP_ADD
        FXP_OP_SUB
        FXP_OP_MUL

OPS = {"copy": FXP_OP_COPY, "add": FXP_OP_ADD, "subtract": FXP_OP_SUB, "multiply": FXP_OP_MUL}
# the C kernels' rounding and overflow codes (csrc/fxp_round.h), by mode name
ROUNDING_CODES = {"nearest_even": FXP_NEAREST_EVEN, "nearest_away": FXP_NEAREST_AWAY,
                  "floor": FXP_FLOOR, "toward_zero": FXP_TOWARD_ZERO, "stochastic": FXP_STOCHASTIC}
OVERFLOW_CODES = {"saturate": FXP_SATURATE, "wrap": FXP_WRAP, "raise": FXP_RAISE}


def simd_level(int want=-1):
    """Select the SIMD variant (0 portable, 1 AVX2, 2 AVX-512; -1 best); returns the one in use."""
    return fxp_simd_level(want)


cdef int type_code(cnp.ndarray arr):
    """TYPE_CODES[arr.dtype] for a native-order kernel dtype, else -1 (checked in C: these
    wrappers run on every operation, and dtype comparisons in Python cost a microsecond)."""
    cdef int t = cnp.PyArray_TYPE(arr)
    if not cnp.PyArray_ISNOTSWAPPED(arr) or not cnp.PyTypeNum_ISINTEGER(t):
        return -1
    cdef Py_ssize_t size = cnp.PyArray_ITEMSIZE(arr)
    cdef bint unsigned = cnp.PyTypeNum_ISUNSIGNED(t)
    if size == 1:
        return FXP_U8 if unsigned else FXP_I8
    if size == 2:
        return FXP_U16 if unsigned else FXP_I16
    if size == 4:
        return FXP_U32 if unsigned else FXP_I32
    return FXP_I64 if size == 8 and not unsigned else -1


# the kernel dtypes, their codes and magnitude bounds (csrc/fxp_types.h), for Python callers
TYPE_CODES = {np.dtype(t): type_code(np.empty(0, t))
              for t in (np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64)}
MAGNITUDE_BITS = {dt: fxp_type_magnitude_bits(code) for dt, code in TYPE_CODES.items()}


def is_int_operand(cnp.ndarray arr not None):
    """Whether ``arr`` is an int_op operand as it is: native, C-contiguous, of a kernel dtype."""
    return type_code(arr) >= 0 and cnp.PyArray_IS_C_CONTIGUOUS(arr)


def is_quantize_input(cnp.ndarray x not None):
    """Whether ``x`` is a quantize input as it is: native, C-contiguous float64 or float32."""
    cdef int t = cnp.PyArray_TYPE(x)
    return (t == cnp.NPY_DOUBLE or t == cnp.NPY_FLOAT) and cnp.PyArray_ISNOTSWAPPED(x) \
        and cnp.PyArray_IS_C_CONTIGUOUS(x)


cdef class Target:
    """The output side of a kernel call, filled once and reused: the storage dtype, the range
    [lo, hi] of a ``w``-bit word, and the C rounding and overflow codes (ROUNDING_CODES,
    OVERFLOW_CODES)."""
    cdef readonly object dtype
    cdef int typenum, code
    cdef readonly int64_t lo, hi
    cdef readonly int w, rounding, overflow

    def __init__(self, dtype, *, int64_t lo, int64_t hi, int w, int rounding, int overflow):
        self.dtype = np.dtype(dtype)
        self.code = TYPE_CODES.get(self.dtype, -1)
        if self.code < 0:
            raise ValueError(f"internal: bad target dtype {self.dtype}")
        self.typenum = self.dtype.num
        self.lo, self.hi, self.w = lo, hi, w
        self.rounding, self.overflow = rounding, overflow

    def __repr__(self):
        return (f"Target({self.dtype}, lo={self.lo}, hi={self.hi}, w={self.w}, "
                f"rounding={self.rounding}, overflow={self.overflow})")


cdef cnp.ndarray output(Target target, out, cnp.ndarray like):
    """``out``, checked to be a C-contiguous array of the target's dtype, or a new array shaped
    like ``like``."""
    if out is None:
        return cnp.PyArray_EMPTY(cnp.PyArray_NDIM(like), cnp.PyArray_DIMS(like), target.typenum, 0)
    if not isinstance(out, np.ndarray) or type_code(out) != target.code \
            or not cnp.PyArray_IS_C_CONTIGUOUS(out):
        raise ValueError("internal: bad output array")
    return out


cdef int operand_code(cnp.ndarray arr, int64_t n, name) except -1:
    cdef int code = type_code(arr)
    if code < 0 or not cnp.PyArray_IS_C_CONTIGUOUS(arr) or cnp.PyArray_SIZE(arr) not in (1, n):
        raise ValueError(f"internal: bad {name} operand ({arr.dtype}, {arr.size} of {n})")
    return code


def int_op(str op, cnp.ndarray a not None, cnp.ndarray b not None, Target target not None, *,
           out=None, int a_shift=0, int b_shift=0, int s=0, uint64_t key=0, int n_threads=1):
    """out = narrow(round((a << a_shift) OP (b << b_shift), s)) into ``target``.

    ``a``/``b`` hold ``out.size`` elements or one (broadcast); ``b`` is ignored for "copy".
    ``out`` (default: a new array shaped like the larger operand) receives the result; ``key``
    is the stochastic key, ``n_threads`` the thread count.  Returns ``(out, overflow count)``.
    """
    cdef int64_t n_over = 0
    cdef fxp_int_op_t p
    if op == "copy":
        b = a
    cdef cnp.ndarray result = output(target, out, b if cnp.PyArray_SIZE(b) > cnp.PyArray_SIZE(a) else a)
    cdef int64_t n = cnp.PyArray_SIZE(result)
    p.a_type = operand_code(a, n, "a")
    p.b_type = operand_code(b, n, "b")
    p.out_type = target.code
    p.a = cnp.PyArray_DATA(a)
    p.a_stride = 1 if cnp.PyArray_SIZE(a) == n else 0
    p.a_shift = a_shift
    p.b = cnp.PyArray_DATA(b)
    p.b_stride = 1 if cnp.PyArray_SIZE(b) == n else 0
    p.b_shift = b_shift
    p.op = OPS[op]
    p.out = cnp.PyArray_DATA(result)
    p.s = s
    p.mode = target.rounding
    p.ovf = target.overflow
    p.lo = target.lo
    p.hi = target.hi
    p.w = target.w
    p.key = key
    if n > 0:
        with nogil:
            fxp_int_op(&p, n, n_threads, &n_over)
    return result, n_over


def quantize(cnp.ndarray x not None, Target target not None, *, int frac_bits, out=None, uint64_t key=0,
             int n_threads=1):
    """out = narrow(round(x * 2**frac_bits)) into ``target`` for C-contiguous float64 or float32
    ``x``; ``out`` defaults to a new array of ``x``'s shape.

    Returns ``(out, (out-of-range count incl. infinities, NaN count, infinity count))``.
    """
    cdef int64_t counts[3]
    cdef fxp_quantize_t p
    cdef int64_t n = cnp.PyArray_SIZE(x)
    cdef int x_type = cnp.PyArray_TYPE(x)
    if (x_type != cnp.NPY_DOUBLE and x_type != cnp.NPY_FLOAT) or not cnp.PyArray_ISNOTSWAPPED(x) \
            or not cnp.PyArray_IS_C_CONTIGUOUS(x):
        raise ValueError("internal: bad quantize input")
    if target.code == FXP_I64:
        raise ValueError("internal: bad quantize output")
    cdef cnp.ndarray result = output(target, out, x)
    if cnp.PyArray_SIZE(result) != n:
        raise ValueError("internal: bad quantize output")
    counts[0] = counts[1] = counts[2] = 0
    p.x = <const double *> cnp.PyArray_DATA(x) if x_type == cnp.NPY_DOUBLE else NULL
    p.x32 = <const float *> cnp.PyArray_DATA(x) if x_type == cnp.NPY_FLOAT else NULL
    p.out = cnp.PyArray_DATA(result)
    p.out_type = target.code
    p.scale = ldexp(1.0, frac_bits)
    p.mode = target.rounding
    p.ovf = target.overflow
    p.lo = target.lo
    p.hi = target.hi
    p.w = target.w
    p.key = key
    if n > 0:
        with nogil:
            fxp_quantize(&p, n, n_threads, counts)
    return result, (counts[0], counts[1], counts[2])
