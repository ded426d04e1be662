/* What the hand-written SIMD loops of every instruction set share (fxp_elementwise_avx2.h,
 * fxp_elementwise_avx512.h): element sizes, clamp bounds, prefetching, the dispatch of a chunk to
 * loops specialised per mode / type / op, and the integer rounding of fxp_shr_round_i64_near in
 * vector lanes.  Included once by _elementwise.c inside its x86 dispatch block. */

/* How far ahead of the loads the streaming loops prefetch.  The hardware prefetcher alone
 * leaves a single core well short of its bandwidth on arrays of a few MB.  To compare
 * distances, build bench/elementwise_loop.c with -DFXP_PREFETCH_BYTES=<bytes> (0: the line
 * being loaded, i.e. no prefetch ahead) and run it on 1e6 elements; docs/results/core-bench.md has
 * the figures. */
#ifndef FXP_PREFETCH_BYTES
#define FXP_PREFETCH_BYTES 4096
#endif
static inline __attribute__((always_inline)) void prefetch_ahead(const void *at)
{
    _mm_prefetch((const char *)at + FXP_PREFETCH_BYTES, _MM_HINT_T0);
}

/* [*tlo, *thi]: the doubles that `mode` (not stochastic) rounds into [lo, hi] (lo <= 0 <= hi),
 * so clamping first and rounding after gives round-then-clamp, and t is out of range exactly
 * when clamping changes it. */
static void clamp_bounds(int mode, int64_t lo, int64_t hi, double *tlo, double *thi)
{
    const double l = (double)lo, h = (double)hi;   /* |lo|, |hi| <= 2**32: l - 1, h + 0.5 exact */
    switch (mode) {
    case FXP_NEAREST_EVEN:   /* a tie rounds to the even neighbour */
        *thi = (hi & 1) ? nextafter(h + 0.5, -INFINITY) : h + 0.5;
        *tlo = (lo & 1) ? nextafter(l - 0.5, INFINITY) : l - 0.5;
        break;
    case FXP_NEAREST_AWAY:
        *thi = nextafter(h + 0.5, -INFINITY);
        *tlo = nextafter(l - 0.5, INFINITY);
        break;
    case FXP_FLOOR:
        *thi = nextafter(h + 1.0, -INFINITY);
        *tlo = l;
        break;
    default:   /* toward zero */
        *thi = nextafter(h + 1.0, -INFINITY);
        *tlo = nextafter(l - 1.0, INFINITY);
        break;
    }
}

/* The scalar settings of a quantize loop for saturate / raise: the clamp bounds [*tlo, *thi]
 * (stochastic rounds first and clamps to [lo, hi]; the other modes clamp first to the doubles
 * that round into [lo, hi] (clamp_bounds), so the conversion can round); returns whether a
 * tiny product that underflowed to 0 is to be replaced by the smallest subnormal of x's sign,
 * as the portable loop does (floor and stochastic; only possible when scale < 1). */
static int quantize_setup(const fxp_quantize_t *p, int mode, double *tlo, double *thi)
{
    *tlo = (double)p->lo;
    *thi = (double)p->hi;
    if (mode != FXP_STOCHASTIC) clamp_bounds(mode, p->lo, p->hi, tlo, thi);
    return (mode == FXP_FLOOR || mode == FXP_STOCHASTIC) && p->scale < 1.0;
}

/* counts[1] += the NaN elements of x[0..n), counts[2] += the infinite ones (a quantize loop
 * calls it once it saw either: rare) */
static void count_nonfinite(const double *x, int64_t n, int64_t counts[3])
{
    for (int64_t j = 0; j < n; ++j) {
        counts[1] += x[j] != x[j];
        counts[2] += fabs(x[j]) == INFINITY;
    }
}

/* The quantize chunk for saturate / raise through LOOP(x, p, MODE, TYPE, start, n, counts),
 * MODE and TYPE the compile-time constants equal to p->mode and p->out_type. */
#define FXP_QUANTIZE_SPECIALISED(LOOP, x, p, start, n, counts)                                 \
    do {                                                                                       \
        switch (p->mode) {                                                                     \
        case FXP_NEAREST_EVEN: FXP_QUANTIZE_TYPES(LOOP, FXP_NEAREST_EVEN, x, p, start, n, counts) \
        case FXP_NEAREST_AWAY: FXP_QUANTIZE_TYPES(LOOP, FXP_NEAREST_AWAY, x, p, start, n, counts) \
        case FXP_FLOOR: FXP_QUANTIZE_TYPES(LOOP, FXP_FLOOR, x, p, start, n, counts)            \
        case FXP_TOWARD_ZERO: FXP_QUANTIZE_TYPES(LOOP, FXP_TOWARD_ZERO, x, p, start, n, counts) \
        default: FXP_QUANTIZE_TYPES(LOOP, FXP_STOCHASTIC, x, p, start, n, counts)              \
        }                                                                                      \
    } while (0)
#define FXP_QUANTIZE_TYPES(LOOP, MODE, x, p, start, n, counts)                                 \
    switch (p->out_type) {                                                                     \
    case FXP_I8: LOOP(x, p, MODE, FXP_I8, start, n, counts); break;                            \
    case FXP_U8: LOOP(x, p, MODE, FXP_U8, start, n, counts); break;                            \
    case FXP_I16: LOOP(x, p, MODE, FXP_I16, start, n, counts); break;                          \
    case FXP_U16: LOOP(x, p, MODE, FXP_U16, start, n, counts); break;                          \
    case FXP_I32: LOOP(x, p, MODE, FXP_I32, start, n, counts); break;                          \
    default: LOOP(x, p, MODE, FXP_U32, start, n, counts); break;                               \
    } break;

/* ---- add / subtract / multiply / requantize in int32 lanes ----
 * When both operands are int8, uint8 or int16 and the exact result fits int32 (products
 * without shifts: |a*b| <= 2**30; sums of aligned operands each within 2**29), or the op is a
 * requantizing copy of an int8, uint8, int16 or int32 operand that int32 holds, the whole
 * pipeline (widen, op, round by 0 <= s <= 31, narrow, store) runs in registers, with the
 * rounding of fxp_shr_round_i64_near done in 32 bits (exact here: the remainder plus the
 * rounding increment stays below 2**32 as an unsigned sum). */

/* whether the int32-lane loops (int_op32_avx2, int_op32_avx512) handle op p */
static int int_op32_fits(const fxp_int_op_t *p)
{
    if (p->s < 0 || p->s > 31 || p->out_type > FXP_I32) return 0;
    if (p->op == FXP_OP_COPY)
        return p->a_type == FXP_I32 ? p->a_shift == 0 : p->a_type <= FXP_I16 && fxp_type_magnitude_bits(p->a_type) + p->a_shift <= 31;
    if (p->a_type > FXP_I16 || p->b_type > FXP_I16) return 0;
    if (p->op == FXP_OP_MUL) return p->a_shift == 0 && p->b_shift == 0;
    return fxp_type_magnitude_bits(p->a_type) + p->a_shift <= 29 && fxp_type_magnitude_bits(p->b_type) + p->b_shift <= 29;
}

/* the first element of an operand of any type but int64 (the broadcast one of stride 0) */
static int64_t first_element(const void *src, int type)
{
    switch (type) {
    case FXP_I8: return *(const int8_t *)src;
    case FXP_U8: return *(const uint8_t *)src;
    case FXP_I16: return *(const int16_t *)src;
    case FXP_U16: return *(const uint16_t *)src;
    default: return *(const int32_t *)src;
    }
}

/* q with the fields an int32-lane loop is specialised on set to the (compile-time constant)
 * arguments */
static inline __attribute__((always_inline)) fxp_int_op_t int_op_fixed(fxp_int_op_t q, int op, int a_type, int b_type,
                                                                     int out_type, int64_t a_stride, int64_t b_stride)
{
    q.op = op;
    q.a_type = a_type;
    q.b_type = b_type;
    q.out_type = out_type;
    q.a_stride = a_stride;
    q.b_stride = b_stride;
    return q;
}

/* CALL(MODE) with MODE the compile-time constant equal to `mode` (-1: no rounding) */
#define FXP_SWITCH_MODE(mode, CALL)                                   \
    switch (mode) {                                                   \
    case -1: CALL(-1)                                                 \
    case FXP_NEAREST_EVEN: CALL(FXP_NEAREST_EVEN)                     \
    case FXP_NEAREST_AWAY: CALL(FXP_NEAREST_AWAY)                     \
    case FXP_FLOOR: CALL(FXP_FLOOR)                                   \
    case FXP_TOWARD_ZERO: CALL(FXP_TOWARD_ZERO)                       \
    default: CALL(FXP_STOCHASTIC)                                     \
    }

/* The body of an int32-lane chunk function: returns FXP_INT_OP32_LOOP(*p, MODE, op, a_type,
 * b_type, out_type, a_stride, b_stride, start, n) (the includer defines FXP_INT_OP32_LOOP) with
 * the arguments after *p compile-time constants where it pays, so the loop's branches on them
 * leave the loop (MODE -1: s == 0, no rounding).  Contiguous int16 operands into int16 get loops
 * of their own for add, subtract and multiply (a copy, whose b is a, takes the shared loop), and so do int32 values requantized into int16 (a GEMM's
 * accumulators); the other cases share one loop per mode. */
#define FXP_INT_OP32_SPECIALISED(p, start, n)                                                              \
    do {                                                                                                   \
        const int fxp_mode_ = p->s == 0 ? -1 : p->mode;                                                    \
        if (p->op == FXP_OP_COPY && p->a_type == FXP_I32 && p->out_type == FXP_I16 && p->a_stride) {       \
            FXP_SWITCH_MODE(fxp_mode_, FXP_INT_OP32_I32_COPY)                                              \
        }                                                                                                  \
        if (p->a_type == FXP_I16 && p->b_type == FXP_I16 && p->out_type == FXP_I16 && p->a_stride &&       \
            p->b_stride) {                                                                                 \
            if (p->op == FXP_OP_ADD) { FXP_SWITCH_MODE(fxp_mode_, FXP_INT_OP32_I16_ADD) }                  \
            if (p->op == FXP_OP_SUB) { FXP_SWITCH_MODE(fxp_mode_, FXP_INT_OP32_I16_SUB) }                  \
            if (p->op == FXP_OP_MUL) { FXP_SWITCH_MODE(fxp_mode_, FXP_INT_OP32_I16_MUL) }                  \
        }                                                                                                  \
        FXP_SWITCH_MODE(fxp_mode_, FXP_INT_OP32_ANY)                                                       \
    } while (0)
#define FXP_INT_OP32_I16(MODE, OP) return FXP_INT_OP32_LOOP(*p, MODE, OP, FXP_I16, FXP_I16, FXP_I16, 1, 1, start, n);
#define FXP_INT_OP32_I16_ADD(MODE) FXP_INT_OP32_I16(MODE, FXP_OP_ADD)
#define FXP_INT_OP32_I16_SUB(MODE) FXP_INT_OP32_I16(MODE, FXP_OP_SUB)
#define FXP_INT_OP32_I16_MUL(MODE) FXP_INT_OP32_I16(MODE, FXP_OP_MUL)
#define FXP_INT_OP32_I32_COPY(MODE) \
    return FXP_INT_OP32_LOOP(*p, MODE, FXP_OP_COPY, FXP_I32, FXP_I32, FXP_I16, 1, 1, start, n);
#define FXP_INT_OP32_ANY(MODE) \
    return FXP_INT_OP32_LOOP(*p, MODE, p->op, p->a_type, p->b_type, p->out_type, p->a_stride, p->b_stride, start, n);

/* NAME(v, s, mode, r): v / 2**s rounded like fxp_shr_round_i64_near in the BITS-bit lanes of a
 * vector VEC (1 <= s <= BITS - 1; r: the random words' high BITS bits, stochastic only).
 * ATTR: the function's target attributes; P, SI, W: the prefix and suffixes of the intrinsics
 * (_mm256 / _mm512, si256 / si512, epi32 / epi64). */
#define FXP_DEFINE_ROUND_LANES(NAME, ATTR, VEC, P, SI, W, BITS)                                        \
ATTR VEC NAME(VEC v, int s, int mode, VEC r)                                                           \
{                                                                                                      \
    const __m128i cs = _mm_cvtsi32_si128(s);                                                           \
    const VEC q = P##_sra_##W(v, cs);                                                                  \
    const VEC rem = P##_and_##SI(v, P##_set1_##W((int##BITS##_t)((UINT##BITS##_C(1) << s) - 1)));      \
    const VEC half_1 = P##_set1_##W((int##BITS##_t)((UINT##BITS##_C(1) << (s - 1)) - 1));             \
    const VEC one = P##_set1_##W(1);                                                                   \
    VEC add;   /* rem + add carries into bit s exactly when the result rounds up */                    \
    switch (mode) {                                                                                    \
    case FXP_NEAREST_EVEN: add = P##_add_##W(half_1, P##_and_##SI(q, one)); break;                     \
    case FXP_NEAREST_AWAY:                                                                             \
        add = P##_add_##W(half_1, P##_srli_##W(P##_xor_##SI(q, P##_set1_##W(-1)), BITS - 1));          \
        break;                                                                                         \
    case FXP_FLOOR: return q;                                                                          \
    case FXP_TOWARD_ZERO:                                                                              \
        return P##_add_##W(q, P##_and_##SI(P##_min_epu##BITS(rem, one), P##_srli_##W(q, BITS - 1)));   \
    default: add = P##_srl_##W(r, _mm_cvtsi32_si128(BITS - s)); break;                                 \
    }                                                                                                  \
    return P##_add_##W(q, P##_srl_##W(P##_add_##W(rem, add), cs));   /* no carry out */                \
}

/* NAME(v, p, lo, hi): the int32 lanes of v narrowed into op p's output range: wrapped to p->w
 * bits (two's complement, or unsigned for p->lo >= 0) or clamped to [lo, hi] (p->lo, p->hi
 * broadcast).  ATTR, VEC, P: as for FXP_DEFINE_ROUND_LANES. */
#define FXP_DEFINE_NARROW_LANES(NAME, ATTR, VEC, P)                                                    \
ATTR VEC NAME(VEC v, const fxp_int_op_t *p, VEC lo, VEC hi)                                            \
{                                                                                                      \
    if (p->ovf != FXP_WRAP) return P##_min_epi32(P##_max_epi32(v, lo), hi);                            \
    const __m128i wrap_shift = _mm_cvtsi32_si128(32 - p->w);                                           \
    const VEC up = P##_sll_epi32(v, wrap_shift);                                                       \
    return p->lo < 0 ? P##_sra_epi32(up, wrap_shift) : P##_srl_epi32(up, wrap_shift);                  \
}
