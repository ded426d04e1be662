/* AVX-512 kernels of the elementwise pipeline, included once by _elementwise.c inside its x86
 * dispatch block (FXP_AVX512_TARGET defined, <immintrin.h> included).  They compute the same
 * bits as the portable loops of fxp_elementwise_body.h (the tests compare every SIMD level with
 * fxp/_reference.py).  Chunks hold n <= FXP_RNG_BLOCK elements; the last 8-lane step of a
 * chunk is masked, so there is no scalar tail. */
#define FXP_AVX512_INLINE FXP_AVX512_TARGET static inline __attribute__((always_inline))

/* One xoroshiro128+ step of the 8 lane streams held in (*a, *b); returns their 8 words. */
FXP_AVX512_INLINE __m512i xoroshiro_next_avx512(__m512i *a, __m512i *b)
{
    const __m512i word = _mm512_add_epi64(*a, *b);
    *b = _mm512_xor_si512(*b, *a);
    *a = _mm512_xor_si512(_mm512_xor_si512(_mm512_rol_epi64(*a, 24), *b), _mm512_slli_epi64(*b, 16));
    *b = _mm512_rol_epi64(*b, 37);
    return word;
}

/* The xoroshiro128+ states of the 8 lane streams of `block` (fxp_rng_block_seed) in (*a, *b). */
FXP_AVX512_INLINE void block_seed_avx512(uint64_t key, uint64_t block, __m512i *a, __m512i *b)
{
    uint64_t s0[FXP_RNG_LANES], s1[FXP_RNG_LANES];
    fxp_rng_block_seed(key, block, s0, s1);
    *a = _mm512_loadu_si512(s0);
    *b = _mm512_loadu_si512(s1);
}

/* fxp_rng_block_fill with the 8 lanes in one AVX-512 register (same bits; tested). */
FXP_AVX512_TARGET
static void block_fill_avx512(uint64_t key, uint64_t block, uint64_t *out, int64_t n)
{
    __m512i a, b;
    block_seed_avx512(key, block, &a, &b);
    for (int64_t p = 0; p < n; p += FXP_RNG_LANES) {
        const __mmask8 m = n - p >= 8 ? 0xFF : (__mmask8)((1u << (n - p)) - 1);
        _mm512_mask_storeu_epi64(out + p, m, xoroshiro_next_avx512(&a, &b));
    }
}

FXP_AVX512_INLINE __mmask8 lane_mask(int64_t left) { return left >= 8 ? 0xFF : (__mmask8)((1u << left) - 1); }

/* Store the 8 integral doubles q (within the storage type's range) into lanes m of out[0..8). */
FXP_AVX512_INLINE void store8_pd(void *out, int type, __mmask8 m, __m512d q)
{
    switch (type) {
    case FXP_I8: case FXP_U8: _mm256_mask_cvtepi32_storeu_epi8(out, m, _mm512_cvttpd_epi32(q)); break;
    case FXP_I16: case FXP_U16: _mm256_mask_cvtepi32_storeu_epi16(out, m, _mm512_cvttpd_epi32(q)); break;
    case FXP_I32: _mm256_mask_storeu_epi32(out, m, _mm512_cvttpd_epi32(q)); break;
    default: _mm256_mask_storeu_epi32(out, m, _mm512_cvttpd_epu32(q)); break;
    }
}

/* Convert the 8 doubles c (clamped so that they round into the storage type's range) with
 * the rounding of `mode` (nearest_even, floor or toward_zero: embedded in the conversion) and
 * store lanes m. */
FXP_AVX512_INLINE void store8_round_pd(void *out, int type, __mmask8 m, __m512d c, int mode)
{
#define FXP_CVT(R) (type == FXP_U32 ? _mm512_cvt_roundpd_epu32(c, R | _MM_FROUND_NO_EXC) \
                                    : _mm512_cvt_roundpd_epi32(c, R | _MM_FROUND_NO_EXC))
    const __m256i v = mode == FXP_NEAREST_EVEN ? FXP_CVT(_MM_FROUND_TO_NEAREST_INT)
                    : mode == FXP_FLOOR ? FXP_CVT(_MM_FROUND_TO_NEG_INF) : FXP_CVT(_MM_FROUND_TO_ZERO);
#undef FXP_CVT
    switch (type) {
    case FXP_I8: case FXP_U8: _mm256_mask_cvtepi32_storeu_epi8(out, m, v); break;
    case FXP_I16: case FXP_U16: _mm256_mask_cvtepi32_storeu_epi16(out, m, v); break;
    default: _mm256_mask_storeu_epi32(out, m, v); break;
    }
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

/* floor(y + r * 2**-64) of fxp_round_double in 8 lanes, with r the lanes' random words.
 * F = floor(frac(y) * 2**64) and the carry test is an unsigned compare; y in (-1, 0), where
 * y - floor(y) is inexact, takes F = 2**64 - ceil(-y * 2**64) (rare, so a branch). */
FXP_AVX512_INLINE __m512d stochastic8(__m512d y, __m512i rv)
{
    const __m512d fl = _mm512_roundscale_pd(y, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    __m512i F = _mm512_cvttpd_epu64(_mm512_mul_pd(_mm512_sub_pd(y, fl), _mm512_set1_pd(0x1p64)));
    if (_mm512_cmp_pd_mask(fl, _mm512_set1_pd(-1.0), _CMP_EQ_OQ)) {
        const __mmask8 small = _mm512_cmp_pd_mask(fl, _mm512_set1_pd(-1.0), _CMP_EQ_OQ) &
                               _mm512_cmp_pd_mask(y, _mm512_set1_pd(-1.0), _CMP_NEQ_UQ);
        const __m512i c = _mm512_cvt_roundpd_epu64(_mm512_mul_pd(y, _mm512_set1_pd(-0x1p64)),
                                                   _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC);
        F = _mm512_mask_sub_epi64(F, small, _mm512_setzero_si512(), c);
    }
    const __mmask8 carry = _mm512_cmp_epu64_mask(_mm512_add_epi64(rv, F), rv, _MM_CMPINT_LT);
    return _mm512_mask_add_pd(fl, carry, fl, _mm512_set1_pd(1.0));
}

/* fxp_round_double(y, mode, r) in 8 lanes (mode a compile-time constant after inlining). */
FXP_AVX512_INLINE __m512d round8_pd(__m512d y, int mode, __m512i rv)
{
    switch (mode) {
    case FXP_NEAREST_EVEN: return _mm512_roundscale_pd(y, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    case FXP_FLOOR: return _mm512_roundscale_pd(y, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    case FXP_TOWARD_ZERO: return _mm512_roundscale_pd(y, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    case FXP_NEAREST_AWAY: {
        const __m512d t = _mm512_roundscale_pd(y, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
        const __m512d d = _mm512_sub_pd(y, t), one = _mm512_set1_pd(1.0);   /* exact (Sterbenz) */
        const __m512d up = _mm512_mask_add_pd(t, _mm512_cmp_pd_mask(d, _mm512_set1_pd(0.5), _CMP_GE_OQ), t, one);
        return _mm512_mask_sub_pd(up, _mm512_cmp_pd_mask(d, _mm512_set1_pd(-0.5), _CMP_LE_OQ), up, one);
    }
    default: return stochastic8(y, rv);
    }
}

/* The quantize loop for saturate / raise: round, count, clamp and store in one pass.  A NaN
 * element's output is unspecified (NaN input makes the caller raise). */
FXP_AVX512_INLINE void quantize_loop_avx512(const double *x, const fxp_quantize_t *p, int mode, int type,
                                            int64_t start, int64_t n, int64_t counts[3])
{
    const size_t size = type <= FXP_U8 ? 1 : type <= FXP_U16 ? 2 : 4;
    char *out = (char *)p->out + start * (int64_t)size;
    const __m512d scale = _mm512_set1_pd(p->scale);
    /* stochastic rounds first and clamps to [lo, hi]; the other modes clamp first to the
     * doubles that round into [lo, hi] (clamp_bounds), so the conversion can round */
    double tlo = (double)p->lo, thi = (double)p->hi;
    if (mode != FXP_STOCHASTIC) clamp_bounds(mode, p->lo, p->hi, &tlo, &thi);
    const __m512d lo = _mm512_set1_pd(tlo), hi = _mm512_set1_pd(thi);
    const __m512i one = _mm512_set1_epi64(1);
    /* floor and stochastic see a tiny product that underflowed to 0: replace it by the smallest
     * subnormal of x's sign, as the portable loop does (only possible when scale < 1) */
    const int fix_underflow = (mode == FXP_FLOOR || mode == FXP_STOCHASTIC) && p->scale < 1.0;
    __m512i ra = _mm512_setzero_si512(), rb = _mm512_setzero_si512();
    if (mode == FXP_STOCHASTIC) block_seed_avx512(p->key, (uint64_t)(start / FXP_RNG_BLOCK), &ra, &rb);
    __m512i over = _mm512_setzero_si512();
    /* becomes NaN once some x is NaN or +-inf: vfixupimmpd keeps it (token 0) for finite x and
     * sets it to the default NaN (token 3) for the classes QNaN, SNaN, -inf and +inf */
    __m512d finite = _mm512_setzero_pd();
    const __m512i special_to_nan = _mm512_set1_epi64(0x330033);
    /* numpy's large arrays start 16 bytes into a cache line, so the steps start o elements
     * before x, at a line boundary, with the lanes outside [0, n) masked.  Element i's random
     * word is lane i % 8 of step i / 8, so a step takes its first o words from the previous
     * lane step and the others from the current one. */
    const int64_t o = (int64_t)(((uintptr_t)x & 63) / 8);
    int64_t ids[8];
    for (int j = 0; j < 8; ++j) ids[j] = j < o ? 8 - o + j : 8 + j - o;
    const __m512i word_index = _mm512_loadu_si512(ids);
    __m512i prev = _mm512_setzero_si512();
    for (int64_t i = -o; i < n; i += 8) {
        const __mmask8 m = (__mmask8)(lane_mask(n - i) & (i < 0 ? 0xFF << -i : 0xFF));
        const __m512d xv = _mm512_maskz_loadu_pd(m, (const void *)((uintptr_t)x + (uintptr_t)i * 8));
        __m512d y = _mm512_mul_pd(xv, scale);
        if (fix_underflow) {
            const __mmask8 under = _mm512_cmp_pd_mask(y, _mm512_setzero_pd(), _CMP_EQ_OQ) &
                                   _mm512_cmp_pd_mask(xv, _mm512_setzero_pd(), _CMP_NEQ_UQ);
            const __m512i tiny = _mm512_or_si512(_mm512_and_si512(_mm512_castpd_si512(xv),
                                                                   _mm512_set1_epi64(INT64_MIN)), one);
            y = _mm512_mask_mov_pd(y, under, _mm512_castsi512_pd(tiny));
        }
        __m512d q = y;
        if (mode == FXP_STOCHASTIC) {
            const __m512i cur = xoroshiro_next_avx512(&ra, &rb);
            q = stochastic8(y, _mm512_permutex2var_epi64(prev, word_index, cur));
            prev = cur;
        }
        const __m512d c = _mm512_min_pd(_mm512_max_pd(q, lo), hi);
        over = _mm512_mask_add_epi64(over, _mm512_mask_cmp_pd_mask(m, q, c, _CMP_NEQ_OQ), over, one);
        finite = _mm512_fixupimm_pd(finite, xv, special_to_nan, 0);
        void *dst = (void *)((uintptr_t)out + (uintptr_t)i * size);
        if (mode == FXP_STOCHASTIC || mode == FXP_NEAREST_AWAY)
            store8_pd(dst, type, m, mode == FXP_STOCHASTIC ? c : round8_pd(c, mode, prev));
        else
            store8_round_pd(dst, type, m, c, mode);
    }
    int64_t nan = 0, inf = 0;
    if (_mm512_cmp_pd_mask(finite, finite, _CMP_UNORD_Q)) {   /* rare: count NaN and +-inf */
        for (int64_t j = 0; j < n; ++j) {
            nan += x[j] != x[j];
            inf += fabs(x[j]) == INFINITY;
        }
    }
    counts[0] += _mm512_reduce_add_epi64(over);
    counts[1] += nan;
    counts[2] += inf;
}

/* Quantize a chunk under saturate / raise (the wrap path stays in fxp_elementwise_body.h). */
FXP_AVX512_TARGET
static void quantize_clamp_avx512(const double *x, const fxp_quantize_t *p, int64_t start, int64_t n,
                                  int64_t counts[3])
{
#define FXP_QL_TYPES(MODE) \
    switch (p->out_type) { \
    case FXP_I8: quantize_loop_avx512(x, p, MODE, FXP_I8, start, n, counts); break; \
    case FXP_U8: quantize_loop_avx512(x, p, MODE, FXP_U8, start, n, counts); break; \
    case FXP_I16: quantize_loop_avx512(x, p, MODE, FXP_I16, start, n, counts); break; \
    case FXP_U16: quantize_loop_avx512(x, p, MODE, FXP_U16, start, n, counts); break; \
    case FXP_I32: quantize_loop_avx512(x, p, MODE, FXP_I32, start, n, counts); break; \
    default: quantize_loop_avx512(x, p, MODE, FXP_U32, start, n, counts); break; \
    } break;
    switch (p->mode) {
    case FXP_NEAREST_EVEN: FXP_QL_TYPES(FXP_NEAREST_EVEN)
    case FXP_NEAREST_AWAY: FXP_QL_TYPES(FXP_NEAREST_AWAY)
    case FXP_FLOOR: FXP_QL_TYPES(FXP_FLOOR)
    case FXP_TOWARD_ZERO: FXP_QL_TYPES(FXP_TOWARD_ZERO)
    default: FXP_QL_TYPES(FXP_STOCHASTIC)
    }
#undef FXP_QL_TYPES
}

/* ---- add / subtract / multiply of 8- and 16-bit operands in 16 int32 lanes ----
 * When both operands are int8, uint8 or int16 and the exact result fits int32 (products
 * without shifts: |a*b| <= 2**30; sums of aligned operands each within 2**29), the whole
 * pipeline (widen, op, round by 0 <= s <= 31, narrow, store) runs in registers, 16 elements
 * per step, with the rounding of fxp_shr_round_i64_near done in 32 bits (exact here). */

/* whether int_op32_avx512 handles op p */
static int int_op32_fits(const fxp_int_op_t *p)
{
    const int small_a = p->a_type <= FXP_I16, small_b = p->b_type <= FXP_I16;
    if (p->op == FXP_OP_COPY || !small_a || !small_b || p->s < 0 || p->s > 31 || p->out_type > FXP_I32)
        return 0;
    if (p->op == FXP_OP_MUL) return p->a_shift == 0 && p->b_shift == 0;
    return type_bits(p->a_type) + p->a_shift <= 29 && type_bits(p->b_type) + p->b_shift <= 29;
}

/* 16 operand elements from i (lanes m) as int32, shifted left; stride 0 gives the broadcast */
FXP_AVX512_INLINE __m512i load16_epi32(const void *src, int type, int64_t stride, int64_t i,
                                       __mmask16 m, __m512i bcast, int shift)
{
    __m512i v;
    if (stride == 0) return bcast;
    switch (type) {
    case FXP_I8: v = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, (const int8_t *)src + i)); break;
    case FXP_U8: v = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, (const uint8_t *)src + i)); break;
    default: v = _mm512_cvtepi16_epi32(_mm256_maskz_loadu_epi16(m, (const int16_t *)src + i)); break;
    }
    return _mm512_sll_epi32(v, _mm_cvtsi32_si128(shift));
}

static int32_t first_element(const void *src, int type)
{
    return type == FXP_I8 ? *(const int8_t *)src : type == FXP_U8 ? *(const uint8_t *)src : *(const int16_t *)src;
}

/* round16_epi32 / round8_epi64: v / 2**s rounded like fxp_shr_round_i64_near in 16 int32
 * lanes (1 <= s <= 31; r: the high 32 bits of the random words) or 8 int64 lanes (1 <= s <= 63;
 * r: the random words).  W: the lane type of the intrinsics, BITS its width. */
#define FXP_DEFINE_ROUND_LANES(NAME, W, BITS)                                                          \
FXP_AVX512_INLINE __m512i NAME(__m512i v, int s, int mode, __m512i r)                                  \
{                                                                                                      \
    const __m128i cs = _mm_cvtsi32_si128(s);                                                           \
    const __m512i q = _mm512_sra_##W(v, cs);                                                           \
    const __m512i rem = _mm512_and_si512(v, _mm512_set1_##W((int##BITS##_t)((UINT##BITS##_C(1) << s) - 1))); \
    const __m512i half_1 = _mm512_set1_##W((int##BITS##_t)((UINT##BITS##_C(1) << (s - 1)) - 1));      \
    const __m512i one = _mm512_set1_##W(1);                                                            \
    __m512i add;   /* rem + add carries into bit s exactly when the result rounds up */                \
    switch (mode) {                                                                                    \
    case FXP_NEAREST_EVEN: add = _mm512_add_##W(half_1, _mm512_and_si512(q, one)); break;              \
    case FXP_NEAREST_AWAY:                                                                             \
        add = _mm512_add_##W(half_1, _mm512_srli_##W(_mm512_xor_si512(q, _mm512_set1_##W(-1)), BITS - 1)); \
        break;                                                                                         \
    case FXP_FLOOR: return q;                                                                          \
    case FXP_TOWARD_ZERO:                                                                              \
        return _mm512_add_##W(q, _mm512_and_si512(_mm512_min_epu##BITS(rem, one), _mm512_srli_##W(q, BITS - 1))); \
    default: add = _mm512_srl_##W(r, _mm_cvtsi32_si128(BITS - s)); break;                              \
    }                                                                                                  \
    return _mm512_add_##W(q, _mm512_srl_##W(_mm512_add_##W(rem, add), cs));   /* no carry out */      \
}
FXP_DEFINE_ROUND_LANES(round16_epi32, epi32, 32)
FXP_DEFINE_ROUND_LANES(round8_epi64, epi64, 64)
#undef FXP_DEFINE_ROUND_LANES

FXP_AVX512_INLINE int64_t int_op32_loop(const fxp_int_op_t *p, int mode, int64_t start, int64_t n)
{
    __m512i ra = _mm512_setzero_si512(), rb = _mm512_setzero_si512();
    if (mode == FXP_STOCHASTIC) block_seed_avx512(p->key, (uint64_t)(start / FXP_RNG_BLOCK), &ra, &rb);
    const __m512i odd_dwords = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    const __m512i ba = _mm512_set1_epi32((int32_t)((uint32_t)first_element(p->a, p->a_type) << p->a_shift));
    const __m512i bb = _mm512_set1_epi32((int32_t)((uint32_t)first_element(p->b, p->b_type) << p->b_shift));
    const __m512i lo = _mm512_set1_epi32((int32_t)p->lo), hi = _mm512_set1_epi32((int32_t)p->hi);
    const __m512i one = _mm512_set1_epi32(1);
    const int wrap = p->ovf == FXP_WRAP, signed_out = p->lo < 0;
    const __m128i wrap_shift = _mm_cvtsi32_si128(32 - p->w);
    const size_t size = p->out_type <= FXP_U8 ? 1 : p->out_type <= FXP_U16 ? 2 : 4;
    char *out = (char *)p->out + start * (int64_t)size;
    const int64_t as = p->a_stride ? start : 0, bs = p->b_stride ? start : 0;
    __m512i over = _mm512_setzero_si512();
    /* a short first step aligns the loads of a (or of b when a is broadcast), as in
     * quantize_loop_avx512; not for stochastic, whose lanes are tied to positions % 8 */
    const int lead = p->a_stride ? p->a_type : p->b_type;
    const uintptr_t addr = p->a_stride ? (uintptr_t)((const char *)p->a + as * (lead == FXP_I16 ? 2 : 1))
                                       : (uintptr_t)((const char *)p->b + bs * (lead == FXP_I16 ? 2 : 1));
    const uintptr_t load_bytes = lead == FXP_I16 ? 32 : 16;
    const int64_t head = (int64_t)((load_bytes - (addr & (load_bytes - 1))) & (load_bytes - 1)) / (lead == FXP_I16 ? 2 : 1);
    int64_t step = mode != FXP_STOCHASTIC && head > 0 ? head : 16;
    for (int64_t i = 0; i < n; i += step, step = 16) {
        const int64_t take = n - i < step ? n - i : step;
        const __mmask16 m = take == 16 ? 0xFFFF : (__mmask16)((1u << take) - 1);
        const __m512i a = load16_epi32(p->a, p->a_type, p->a_stride, as + i, m, ba, p->a_shift);
        const __m512i b = load16_epi32(p->b, p->b_type, p->b_stride, bs + i, m, bb, p->b_shift);
        __m512i v = p->op == FXP_OP_ADD ? _mm512_add_epi32(a, b) : p->op == FXP_OP_SUB ?
                    _mm512_sub_epi32(a, b) : _mm512_mullo_epi32(a, b);
        if (mode >= 0) {
            __m512i rw = _mm512_setzero_si512();
            if (mode == FXP_STOCHASTIC) {   /* high halves of the words of 2 lane steps */
                const __m512i w0 = xoroshiro_next_avx512(&ra, &rb);
                rw = _mm512_permutex2var_epi32(w0, odd_dwords, xoroshiro_next_avx512(&ra, &rb));
            }
            v = round16_epi32(v, p->s, mode, rw);
        }
        __m512i c;
        if (wrap) {
            const __m512i up = _mm512_sll_epi32(v, wrap_shift);
            c = signed_out ? _mm512_sra_epi32(up, wrap_shift) : _mm512_srl_epi32(up, wrap_shift);
            over = _mm512_mask_add_epi32(over, _mm512_mask_cmpneq_epi32_mask(m, c, v), over, one);
        } else {
            c = _mm512_min_epi32(_mm512_max_epi32(v, lo), hi);
            over = _mm512_mask_add_epi32(over, _mm512_mask_cmpneq_epi32_mask(m, c, v), over, one);
        }
        switch (p->out_type) {
        case FXP_I8: case FXP_U8: _mm512_mask_cvtepi32_storeu_epi8(out + i, m, c); break;
        case FXP_I16: case FXP_U16: _mm512_mask_cvtepi32_storeu_epi16(out + 2 * i, m, c); break;
        default: _mm512_mask_storeu_epi32(out + 4 * i, m, c); break;
        }
    }
    return _mm512_reduce_add_epi32(over);
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

/* int_op_chunk for the ops int_op32_fits accepts (-1 in mode: no rounding, s == 0) */
FXP_AVX512_TARGET
static int64_t int_op32_avx512(const fxp_int_op_t *p, int64_t start, int64_t n)
{
#define FXP_LOOP(MODE) return int_op32_loop(p, MODE, start, n);
    FXP_SWITCH_MODE(p->s == 0 ? -1 : p->mode, FXP_LOOP)
#undef FXP_LOOP
}

/* ---- products of two factors that fit int32 in 8 int64 lanes ----
 * The products int_op32_fits rejects whose factors still fit int32 (e.g. int16 gradients times
 * a 32-bit learning rate): vpmuldq gives the exact product (|a*b| <= 2**62), then the rounding
 * of fxp_shr_round_i64_near by 0 <= s <= 63, the narrowing and the store, 8 elements per step.
 * Element i of the chunk takes lane i % 8 of lane step i / 8 of the random words, so the steps
 * stay at multiples of 8. */

/* whether int_op64_avx512 handles op p */
static int int_op64_fits(const fxp_int_op_t *p)
{
    return p->op == FXP_OP_MUL && p->a_shift == 0 && p->b_shift == 0 && type_bits(p->a_type) <= 31 &&
           type_bits(p->b_type) <= 31 && p->s >= 0 && p->s < 64 && p->out_type <= FXP_U32;
}

/* 8 operand elements from i (lanes m; all 8 when `full`) sign- or zero-extended to int64;
 * stride 0 gives the broadcast bcast */
FXP_AVX512_INLINE __m512i load8_epi64(const void *src, int type, int64_t stride, int64_t i,
                                      __mmask8 m, int full, __m512i bcast)
{
    if (stride == 0) return bcast;
    const char *at = (const char *)src + i * (type <= FXP_U8 ? 1 : type <= FXP_U16 ? 2 : 4);
    switch (type) {
    case FXP_I8: return _mm512_cvtepi8_epi64(full ? _mm_loadl_epi64((const __m128i *)at) : _mm_maskz_loadu_epi8(m, at));
    case FXP_U8: return _mm512_cvtepu8_epi64(full ? _mm_loadl_epi64((const __m128i *)at) : _mm_maskz_loadu_epi8(m, at));
    case FXP_I16: return _mm512_cvtepi16_epi64(full ? _mm_loadu_si128((const __m128i *)at) : _mm_maskz_loadu_epi16(m, at));
    case FXP_U16: return _mm512_cvtepu16_epi64(full ? _mm_loadu_si128((const __m128i *)at) : _mm_maskz_loadu_epi16(m, at));
    default: return _mm512_cvtepi32_epi64(full ? _mm256_loadu_si256((const __m256i *)at) : _mm256_maskz_loadu_epi32(m, at));
    }
}

/* store the 8 int64 lanes c (within the storage type's range) at element i of out (lanes m) */
FXP_AVX512_INLINE void store8_epi64(char *out, int type, int64_t i, __mmask8 m, int full, __m512i c)
{
    switch (type) {
    case FXP_I8: case FXP_U8:
        if (full) _mm_storel_epi64((__m128i *)(out + i), _mm512_cvtepi64_epi8(c));
        else _mm512_mask_cvtepi64_storeu_epi8(out + i, m, c);
        break;
    case FXP_I16: case FXP_U16:
        if (full) _mm_storeu_si128((__m128i *)(out + 2 * i), _mm512_cvtepi64_epi16(c));
        else _mm512_mask_cvtepi64_storeu_epi16(out + 2 * i, m, c);
        break;
    default:
        if (full) _mm256_storeu_si256((__m256i *)(out + 4 * i), _mm512_cvtepi64_epi32(c));
        else _mm512_mask_cvtepi64_storeu_epi32(out + 4 * i, m, c);
        break;
    }
}

static int64_t first_element64(const void *src, int type)
{
    switch (type) {
    case FXP_I8: return *(const int8_t *)src;
    case FXP_U8: return *(const uint8_t *)src;
    case FXP_I16: return *(const int16_t *)src;
    case FXP_U16: return *(const uint16_t *)src;
    default: return *(const int32_t *)src;
    }
}

/* The loop for op q (a copy: stores through char * could alias *p and reload its fields in
 * every step).  mode (-1: s == 0, no rounding) is a compile-time constant after inlining, and so
 * are a_type, b_stride and out_type in int_op64_avx512's specialised calls, whose switches then
 * leave the loop. */
FXP_AVX512_INLINE int64_t int_op64_loop(fxp_int_op_t q, int mode, int a_type, int64_t b_stride, int out_type,
                                        int64_t start, int64_t n)
{
    __m512i ra = _mm512_setzero_si512(), rb = _mm512_setzero_si512();
    if (mode == FXP_STOCHASTIC) block_seed_avx512(q.key, (uint64_t)(start / FXP_RNG_BLOCK), &ra, &rb);
    const __m512i ba = _mm512_set1_epi64(first_element64(q.a, a_type));
    const __m512i bb = _mm512_set1_epi64(first_element64(q.b, q.b_type));
    const __m512i lo = _mm512_set1_epi64(q.lo), hi = _mm512_set1_epi64(q.hi);
    const __m512i one = _mm512_set1_epi64(1);
    const int wrap = q.ovf == FXP_WRAP, signed_out = q.lo < 0;
    const __m128i wrap_shift = _mm_cvtsi32_si128(64 - q.w);
    char *out = (char *)q.out + start * (int64_t)(out_type <= FXP_U8 ? 1 : out_type <= FXP_U16 ? 2 : 4);
    const int64_t as = q.a_stride ? start : 0, bs = b_stride ? start : 0;
    __m512i over = _mm512_setzero_si512();
    for (int64_t i = 0; i < n; i += 8) {
        const int full = n - i >= 8;
        const __mmask8 m = lane_mask(n - i);
        const __m512i a = load8_epi64(q.a, a_type, q.a_stride, as + i, m, full, ba);
        const __m512i b = load8_epi64(q.b, q.b_type, b_stride, bs + i, m, full, bb);
        __m512i v = _mm512_mul_epi32(a, b);
        if (mode >= 0) {
            const __m512i r = mode == FXP_STOCHASTIC ? xoroshiro_next_avx512(&ra, &rb) : _mm512_setzero_si512();
            v = round8_epi64(v, q.s, mode, r);
        }
        __m512i c;
        if (wrap) {
            const __m512i up = _mm512_sll_epi64(v, wrap_shift);
            c = signed_out ? _mm512_sra_epi64(up, wrap_shift) : _mm512_srl_epi64(up, wrap_shift);
        } else {
            c = _mm512_min_epi64(_mm512_max_epi64(v, lo), hi);
        }
        over = _mm512_mask_add_epi64(over, _mm512_mask_cmpneq_epi64_mask(m, c, v), over, one);
        store8_epi64(out, out_type, i, m, full, c);
    }
    return _mm512_reduce_add_epi64(over);
}

/* int_op_chunk for the ops int_op64_fits accepts.  int16 arrays times a broadcast factor into
 * int16 (the SGD step's lr * grad) get loops of their own; the other cases share one loop per
 * mode. */
FXP_AVX512_TARGET
static int64_t int_op64_avx512(const fxp_int_op_t *p, int64_t start, int64_t n)
{
    const int mode = p->s == 0 ? -1 : p->mode;
    if (p->a_type == FXP_I16 && p->a_stride == 1 && p->b_stride == 0 && p->out_type == FXP_I16) {
#define FXP_LOOP(MODE) return int_op64_loop(*p, MODE, FXP_I16, 0, FXP_I16, start, n);
        FXP_SWITCH_MODE(mode, FXP_LOOP)
#undef FXP_LOOP
    }
#define FXP_LOOP(MODE) return int_op64_loop(*p, MODE, p->a_type, p->b_stride, p->out_type, start, n);
    FXP_SWITCH_MODE(mode, FXP_LOOP)
#undef FXP_LOOP
}
#undef FXP_SWITCH_MODE
