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

/* fxp_rng_block_fill with the 8 lanes in one AVX-512 register (same bits; tested). */
FXP_AVX512_TARGET
static void block_fill_avx512(uint64_t key, uint64_t block, uint64_t *out, int64_t n)
{
    uint64_t s0[FXP_RNG_LANES], s1[FXP_RNG_LANES];
    fxp_rng_block_seed(key, block, s0, s1);
    __m512i a = _mm512_loadu_si512(s0), b = _mm512_loadu_si512(s1);
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

/* floor(y + r * 2**-64) of fxp_round_double in 8 lanes, with r the next words of (*ra, *rb).
 * F = floor(frac(y) * 2**64) and the carry test is an unsigned compare; y in (-1, 0), where
 * y - floor(y) is inexact, takes F = 2**64 - ceil(-y * 2**64) (rare, so a branch). */
FXP_AVX512_INLINE __m512d stochastic8(__m512d y, __m512i *ra, __m512i *rb)
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
    const __m512i rv = xoroshiro_next_avx512(ra, rb);
    const __mmask8 carry = _mm512_cmp_epu64_mask(_mm512_add_epi64(rv, F), rv, _MM_CMPINT_LT);
    return _mm512_mask_add_pd(fl, carry, fl, _mm512_set1_pd(1.0));
}

/* fxp_round_double(y, mode, r) in 8 lanes (mode a compile-time constant after inlining). */
FXP_AVX512_INLINE __m512d round8_pd(__m512d y, int mode, __m512i *ra, __m512i *rb)
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
    default: return stochastic8(y, ra, rb);
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
    const __m512d lo = _mm512_set1_pd((double)p->lo), hi = _mm512_set1_pd((double)p->hi);
    const __m512i one = _mm512_set1_epi64(1);
    /* floor and stochastic see a tiny product that underflowed to 0: replace it by the smallest
     * subnormal of x's sign, as the portable loop does (only possible when scale < 1) */
    const int fix_underflow = (mode == FXP_FLOOR || mode == FXP_STOCHASTIC) && p->scale < 1.0;
    __m512i ra = _mm512_setzero_si512(), rb = _mm512_setzero_si512();
    if (mode == FXP_STOCHASTIC) {
        uint64_t s0[FXP_RNG_LANES], s1[FXP_RNG_LANES];
        fxp_rng_block_seed(p->key, (uint64_t)(start / FXP_RNG_BLOCK), s0, s1);
        ra = _mm512_loadu_si512(s0);
        rb = _mm512_loadu_si512(s1);
    }
    __m512i over = _mm512_setzero_si512();
    /* becomes NaN once some x is NaN or +-inf: vfixupimmpd keeps it (token 0) for finite x and
     * sets it to the default NaN (token 3) for the classes QNaN, SNaN, -inf and +inf */
    __m512d finite = _mm512_setzero_pd();
    const __m512i special_to_nan = _mm512_set1_epi64(0x330033);
#define FXP_QSTEP(I, M) { \
        const __m512d xv = _mm512_maskz_loadu_pd(M, x + (I)); \
        __m512d y = _mm512_mul_pd(xv, scale); \
        if (fix_underflow) { \
            const __mmask8 under = _mm512_cmp_pd_mask(y, _mm512_setzero_pd(), _CMP_EQ_OQ) & \
                                   _mm512_cmp_pd_mask(xv, _mm512_setzero_pd(), _CMP_NEQ_UQ); \
            const __m512i tiny = _mm512_or_si512(_mm512_and_si512(_mm512_castpd_si512(xv), \
                                                                   _mm512_set1_epi64(INT64_MIN)), one); \
            y = _mm512_mask_mov_pd(y, under, _mm512_castsi512_pd(tiny)); \
        } \
        const __m512d q = round8_pd(y, mode, &ra, &rb); \
        const __m512d c = _mm512_min_pd(_mm512_max_pd(q, lo), hi); \
        over = _mm512_mask_add_epi64(over, _mm512_cmp_pd_mask(q, c, _CMP_NEQ_OQ), over, one); \
        finite = _mm512_fixupimm_pd(finite, xv, special_to_nan, 0); \
        store8_pd(out + (I) * (int64_t)size, type, M, c); }
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) FXP_QSTEP(i, 0xFF)
    if (i < n) FXP_QSTEP(i, lane_mask(n - i))
#undef FXP_QSTEP
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
