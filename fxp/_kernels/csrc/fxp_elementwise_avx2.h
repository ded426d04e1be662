/* AVX2 kernels of the elementwise pipeline (the features of FXP_AVX2_TARGET, no AVX-512),
 * included once by _elementwise.c inside its x86 dispatch block, after fxp_elementwise_simd.h.
 * They compute the same bits as the portable loops of fxp_elementwise_body.h (the tests compare
 * every SIMD level with fxp/_reference.py).  The loops take 16 elements per step from the
 * chunk's first element, so element i's random word is lane i % 4 of the (i / 8)-th word of
 * stream half (i / 4) % 2; the last < 16 elements of a chunk run the same step on zero-padded
 * copies (0 is in range, finite and rounds to 0), so there is no scalar tail. */
#define FXP_AVX2_INLINE FXP_AVX2_TARGET static inline __attribute__((always_inline))

/* The xoroshiro128+ states of the 8 lane streams of a block: half h holds lanes 4h..4h+3. */
typedef struct { __m256i a[2], b[2]; } streams_avx2;

/* the streams of `block` (fxp_rng_block_seed) */
FXP_AVX2_INLINE void block_seed_avx2(uint64_t key, uint64_t block, streams_avx2 *st)
{
    uint64_t s0[FXP_RNG_LANES], s1[FXP_RNG_LANES];
    fxp_rng_block_seed(key, block, s0, s1);
    for (int h = 0; h < 2; ++h) {
        st->a[h] = _mm256_loadu_si256((const __m256i *)(s0 + 4 * h));
        st->b[h] = _mm256_loadu_si256((const __m256i *)(s1 + 4 * h));
    }
}

/* One xoroshiro128+ step of the 4 streams of half h; returns their 4 words. */
FXP_AVX2_INLINE __m256i xoroshiro_next_avx2(streams_avx2 *st, int h)
{
    /* rotl(a, 24) is a byte rotation: byte j of the result is byte (j - 3) mod 8 of a */
    const __m256i rotl24 = _mm256_setr_epi8(5, 6, 7, 0, 1, 2, 3, 4, 13, 14, 15, 8, 9, 10, 11, 12,
                                            5, 6, 7, 0, 1, 2, 3, 4, 13, 14, 15, 8, 9, 10, 11, 12);
    const __m256i a = st->a[h];
    const __m256i word = _mm256_add_epi64(a, st->b[h]);
    const __m256i b = _mm256_xor_si256(st->b[h], a);
    st->a[h] = _mm256_xor_si256(_mm256_xor_si256(_mm256_shuffle_epi8(a, rotl24), b), _mm256_slli_epi64(b, 16));
    st->b[h] = _mm256_or_si256(_mm256_slli_epi64(b, 37), _mm256_srli_epi64(b, 27));
    return word;
}

/* Store the 16 int32 lanes v0 (elements 0-7), v1 (8-15), within the storage type's range. */
FXP_AVX2_INLINE void store16_epi32_avx2(void *out, int type, __m256i v0, __m256i v1)
{
    if (type == FXP_I32 || type == FXP_U32) {
        _mm256_storeu_si256((__m256i *)out, v0);
        _mm256_storeu_si256((__m256i *)out + 1, v1);
        return;
    }
    /* the packs work within 128-bit halves: the permute puts the 16-bit lanes back in order */
    const __m256i packed = type == FXP_U16 ? _mm256_packus_epi32(v0, v1) : _mm256_packs_epi32(v0, v1);
    const __m256i w = _mm256_permute4x64_epi64(packed, 0xD8);
    if (type == FXP_I16 || type == FXP_U16) {
        _mm256_storeu_si256((__m256i *)out, w);
        return;
    }
    const __m128i lo = _mm256_castsi256_si128(w), hi = _mm256_extracti128_si256(w, 1);
    _mm_storeu_si128((__m128i *)out, type == FXP_U8 ? _mm_packus_epi16(lo, hi) : _mm_packs_epi16(lo, hi));
}

/* Store the 8 int32 lanes v0 (elements 0-3), v1 (4-7), within the storage type's range. */
FXP_AVX2_INLINE void store8_epi32_avx2(void *out, int type, __m128i v0, __m128i v1)
{
    switch (type) {
    case FXP_I8: case FXP_U8: {
        const __m128i w = _mm_packs_epi32(v0, v1);
        _mm_storel_epi64((__m128i *)out, type == FXP_U8 ? _mm_packus_epi16(w, w) : _mm_packs_epi16(w, w));
        break;
    }
    case FXP_I16: _mm_storeu_si128((__m128i *)out, _mm_packs_epi32(v0, v1)); break;
    case FXP_U16: _mm_storeu_si128((__m128i *)out, _mm_packus_epi32(v0, v1)); break;
    default:
        _mm_storeu_si128((__m128i *)out, v0);
        _mm_storeu_si128((__m128i *)out + 1, v1);
    }
}

/* ---- quantize ---- */

/* floor(f * 2**64) for doubles 0 <= f < 1 as uint64 lanes plus 2**63, ready for a signed
 * compare (AVX2 has neither a double -> uint64 conversion nor an unsigned compare).  With the
 * biased exponent e <= 1022 and the 53-bit mantissa m (implicit bit included),
 * f * 2**64 = (m * 2**11) >> (1022 - e), and m * 2**11 is the double's bits shifted left by
 * 11 with the top bit set.  Shift counts above 63 give 0, which covers f = 0 and subnormal f. */
FXP_AVX2_INLINE __m256i fraction_u64_biased(__m256d f)
{
    const __m256i bits = _mm256_castpd_si256(f), top = _mm256_set1_epi64x(INT64_MIN);
    const __m256i m = _mm256_or_si256(_mm256_slli_epi64(bits, 11), top);
    const __m256i count = _mm256_sub_epi64(_mm256_set1_epi64x(1022), _mm256_srli_epi64(bits, 52));
    return _mm256_xor_si256(_mm256_srlv_epi64(m, count), top);
}

/* ceil(v * 2**32) for 0 <= v < 2**32 as uint64 lanes plus 2**63: H = floor(v) and
 * L = ceil((v - H) * 2**32) <= 2**32 are integral and exact; a magic-number add puts each in
 * the low bits of a double (H shifted by -2**31, which the shift by 32 turns into the bias). */
FXP_AVX2_INLINE __m256i ceil_scaled_u64_biased(__m256d v)
{
    const __m256d magic = _mm256_set1_pd(0x1p52);
    const __m256d h = _mm256_round_pd(v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    const __m256d shifted_h = _mm256_add_pd(h, _mm256_set1_pd(0x1p52 + 0x1p51 - 0x1p31));
    const __m256d low = _mm256_mul_pd(_mm256_sub_pd(v, h), _mm256_set1_pd(0x1p32));
    const __m256d l = _mm256_add_pd(_mm256_round_pd(low, _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC), magic);
    return _mm256_add_epi64(_mm256_slli_epi64(_mm256_castpd_si256(shifted_h), 32),
                            _mm256_xor_si256(_mm256_castpd_si256(l), _mm256_castpd_si256(magic)));
}

/* floor(y + r * 2**-64) of fxp_round_double in 4 lanes, with r the lanes' random words.
 * F = floor(frac(y) * 2**64) and the carry test is an unsigned compare; y in (-1, 0), where
 * y - floor(y) is inexact, takes F = 2**64 - ceil(-y * 2**64) (rare, so a branch). */
FXP_AVX2_INLINE __m256d stochastic4(__m256d y, __m256i r)
{
    const __m256d fl = _mm256_round_pd(y, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    const __m256d minus_one = _mm256_set1_pd(-1.0);
    __m256i F_biased = fraction_u64_biased(_mm256_sub_pd(y, fl));
    const __m256d fl_minus_one = _mm256_cmp_pd(fl, minus_one, _CMP_EQ_OQ);
    if (_mm256_movemask_pd(fl_minus_one)) {
        const __m256d small = _mm256_and_pd(fl_minus_one, _mm256_cmp_pd(y, minus_one, _CMP_NEQ_UQ));
        /* (-C) + 2**63 == -(C + 2**63) (mod 2**64) */
        const __m256i c_biased = ceil_scaled_u64_biased(_mm256_mul_pd(y, _mm256_set1_pd(-0x1p32)));
        const __m256i small_biased = _mm256_sub_epi64(_mm256_setzero_si256(), c_biased);
        F_biased = _mm256_castpd_si256(_mm256_blendv_pd(_mm256_castsi256_pd(F_biased),
                                                        _mm256_castsi256_pd(small_biased), small));
    }
    /* r + F carries iff F > ~r (unsigned), i.e. F + 2**63 > ~r + 2**63 = r ^ (2**63 - 1) (signed) */
    const __m256i carry = _mm256_cmpgt_epi64(F_biased, _mm256_xor_si256(r, _mm256_set1_epi64x(INT64_MAX)));
    return _mm256_add_pd(fl, _mm256_and_pd(_mm256_castsi256_pd(carry), _mm256_set1_pd(1.0)));
}

/* fxp_round_double(c, mode, 0) in 4 lanes for the modes other than stochastic */
FXP_AVX2_INLINE __m256d round4_pd(__m256d c, int mode)
{
    switch (mode) {
    case FXP_NEAREST_EVEN: return _mm256_round_pd(c, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    case FXP_FLOOR: return _mm256_round_pd(c, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    case FXP_TOWARD_ZERO: return _mm256_round_pd(c, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    default: {   /* nearest_away: d = c - trunc(c) is exact (Sterbenz), |d| < 1; trunc(2d) steps away */
        const __m256d t = _mm256_round_pd(c, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
        const __m256d d = _mm256_sub_pd(c, t);
        return _mm256_add_pd(t, _mm256_round_pd(_mm256_add_pd(d, d), _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC));
    }
    }
}

/* The state of quantize_loop_avx2 (its steps inline, so it lives in registers). */
typedef struct {
    __m256d scale, lo, hi;        /* lo, hi: clamp bounds (clamp_bounds, or [lo, hi] for stochastic) */
    streams_avx2 rng;             /* stochastic */
    __m256i over;                 /* out-of-range count per lane */
    __m256d nonfinite;            /* the sum of x * 0: a NaN once some x is NaN or +-inf */
} quantize_state_avx2;

/* One 4-lane step at x with the random words of stream half h: scale, round, count, clamp;
 * returns the int32 lanes to store (uint32 for FXP_U32).  fix_underflow: see quantize_setup. */
FXP_AVX2_INLINE __m128i quantize_step4(quantize_state_avx2 *st, const double *x, int h, int mode, int type,
                                       int fix_underflow)
{
    const __m256d xv = _mm256_loadu_pd(x), zero = _mm256_setzero_pd();
    __m256d y = _mm256_mul_pd(xv, st->scale);
    if (fix_underflow) {
        const __m256d under = _mm256_and_pd(_mm256_cmp_pd(y, zero, _CMP_EQ_OQ), _mm256_cmp_pd(xv, zero, _CMP_NEQ_UQ));
        const __m256d tiny = _mm256_or_pd(_mm256_and_pd(xv, _mm256_set1_pd(-0.0)),
                                          _mm256_castsi256_pd(_mm256_set1_epi64x(1)));
        y = _mm256_blendv_pd(y, tiny, under);
    }
    /* stochastic rounds, then clamps to [lo, hi]; the other modes clamp to the doubles that
     * round into [lo, hi] first (clamp_bounds) */
    const __m256d q = mode == FXP_STOCHASTIC ? stochastic4(y, xoroshiro_next_avx2(&st->rng, h)) : y;
    __m256d c = _mm256_min_pd(_mm256_max_pd(q, st->lo), st->hi);   /* NaN -> lo, not counted */
    st->over = _mm256_sub_epi64(st->over, _mm256_castpd_si256(_mm256_cmp_pd(q, c, _CMP_NEQ_OQ)));
    st->nonfinite = _mm256_fmadd_pd(xv, zero, st->nonfinite);
    if (mode == FXP_STOCHASTIC || (mode == FXP_TOWARD_ZERO && type != FXP_U32)) {
        /* integral already, or truncated by the conversion */
    } else {
        c = round4_pd(c, mode);
    }
    if (type != FXP_U32) return _mm256_cvttpd_epi32(c);
    /* c in [0, 2**32): shifted into int32's range and back */
    return _mm_xor_si128(_mm256_cvttpd_epi32(_mm256_sub_pd(c, _mm256_set1_pd(0x1p31))), _mm_set1_epi32(INT32_MIN));
}

/* 16 elements at x (the random words of 2 lane steps) stored at out */
FXP_AVX2_INLINE void quantize_step16(quantize_state_avx2 *st, const double *x, void *out, int mode, int type,
                                     int fix_underflow)
{
    for (int k = 0; k < 2; ++k) {   /* 8 elements each, narrowed and stored at once: fewer live registers */
        const __m128i v0 = quantize_step4(st, x + 8 * k, 0, mode, type, fix_underflow);
        const __m128i v1 = quantize_step4(st, x + 8 * k + 4, 1, mode, type, fix_underflow);
        store8_epi32_avx2((char *)out + 8 * k * fxp_type_bytes(type), type, v0, v1);
    }
}

/* The steps over x[0..n), stored at out; the last < 16 elements go through zero-padded copies
 * (0 is in range and finite, so they count nothing) */
FXP_AVX2_INLINE void quantize_steps(quantize_state_avx2 *st, const double *x, char *out, int64_t n, int mode,
                                    int type, int fix_underflow)
{
    const size_t size = fxp_type_bytes(type);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        prefetch_ahead(x + i);
        prefetch_ahead(x + i + 8);
        quantize_step16(st, x + i, out + i * (int64_t)size, mode, type, fix_underflow);
    }
    if (i < n) {
        double x_tail[16] = {0};
        char out_tail[16 * 4];
        memcpy(x_tail, x + i, (size_t)(n - i) * sizeof(double));
        quantize_step16(st, x_tail, out_tail, mode, type, fix_underflow);
        memcpy(out + i * (int64_t)size, out_tail, (size_t)(n - i) * size);
    }
}

/* The quantize loop for saturate / raise: round, count, clamp and store in one pass.  A NaN
 * element's output is unspecified (NaN input makes the caller raise). */
FXP_AVX2_INLINE void quantize_loop_avx2(const double *x, const fxp_quantize_t *p, int mode, int type,
                                        int64_t start, int64_t n, int64_t counts[3])
{
    char *out = (char *)p->out + start * (int64_t)fxp_type_bytes(type);
    double tlo, thi;
    const int fix_underflow = quantize_setup(p, mode, &tlo, &thi);
    quantize_state_avx2 st;
    st.scale = _mm256_set1_pd(p->scale);
    st.lo = _mm256_set1_pd(tlo);
    st.hi = _mm256_set1_pd(thi);
    if (mode == FXP_STOCHASTIC) block_seed_avx2(p->key, (uint64_t)(start / FXP_RNG_BLOCK), &st.rng);
    st.over = _mm256_setzero_si256();
    st.nonfinite = _mm256_setzero_pd();
    /* the underflow fix as a compile-time constant (a branch in every step was about 5 % slower) */
    if ((mode == FXP_FLOOR || mode == FXP_STOCHASTIC) && fix_underflow)
        quantize_steps(&st, x, out, n, mode, type, 1);
    else
        quantize_steps(&st, x, out, n, mode, type, 0);
    if (_mm256_movemask_pd(_mm256_cmp_pd(st.nonfinite, st.nonfinite, _CMP_UNORD_Q)))
        count_nonfinite(x, n, counts);
    int64_t over[4];
    _mm256_storeu_si256((__m256i *)over, st.over);
    counts[0] += over[0] + over[1] + over[2] + over[3];
}

/* Quantize a chunk under saturate / raise (the wrap path stays in fxp_elementwise_body.h). */
FXP_AVX2_TARGET
static void quantize_clamp_avx2(const double *x, const fxp_quantize_t *p, int64_t start, int64_t n,
                                int64_t counts[3])
{
    FXP_QUANTIZE_SPECIALISED(quantize_loop_avx2, x, p, start, n, counts);
}

/* ---- add / subtract / multiply of 8- and 16-bit operands in 8 int32 lanes (see
 * fxp_elementwise_simd.h), 16 elements per step ---- */

/* v / 2**s rounded like fxp_shr_round_i64_near in 8 int32 lanes (r: the high 32 bits of the
 * random words) */
FXP_DEFINE_ROUND_LANES(round8_epi32, FXP_AVX2_INLINE, __m256i, _mm256, si256, epi32, 32)
FXP_DEFINE_NARROW_LANES(narrow8_epi32, FXP_AVX2_INLINE, __m256i, _mm256)

/* 8 operand elements at src (int8, uint8, int16 or int32) as int32, shifted left; stride 0
 * gives the broadcast */
FXP_AVX2_INLINE __m256i load8_epi32(const void *src, int type, int64_t stride, __m256i bcast, int shift)
{
    if (stride == 0) return bcast;
    __m256i v;
    switch (type) {
    case FXP_I8: v = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)src)); break;
    case FXP_U8: v = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)src)); break;
    case FXP_I16: v = _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)src)); break;
    default: v = _mm256_loadu_si256((const __m256i *)src); break;
    }
    return shift ? _mm256_sll_epi32(v, _mm_cvtsi32_si128(shift)) : v;
}

/* The state of int_op32_loop_avx2 (its steps inline, so it lives in registers). */
typedef struct {
    streams_avx2 rng;        /* stochastic */
    __m256i ba, bb;          /* the broadcast operands (stride 0) */
    __m256i lo, hi;
    __m256i same;            /* per lane: how many results the narrowing left unchanged */
} int_op32_state_avx2;

/* One 8-lane step at operand elements a, b: op, round (r: the random words' high halves),
 * narrow; returns the int32 lanes to store.  Lanes outside `valid` are not counted. */
FXP_AVX2_INLINE __m256i int_op32_step8(const fxp_int_op_t *p, int mode, int_op32_state_avx2 *st, const char *a,
                                       const char *b, __m256i r, int full, __m256i valid)
{
    const __m256i av = load8_epi32(a, p->a_type, p->a_stride, st->ba, p->a_shift);
    __m256i v = av;
    if (p->op != FXP_OP_COPY) {
        const __m256i bv = load8_epi32(b, p->b_type, p->b_stride, st->bb, p->b_shift);
        v = p->op == FXP_OP_ADD ? _mm256_add_epi32(av, bv) : p->op == FXP_OP_SUB ? _mm256_sub_epi32(av, bv)
                                                                                  : _mm256_mullo_epi32(av, bv);
    }
    if (mode >= 0) v = round8_epi32(v, p->s, mode, r);
    const __m256i c = narrow8_epi32(v, p, st->lo, st->hi);
    const __m256i same = _mm256_cmpeq_epi32(c, v);
    st->same = _mm256_sub_epi32(st->same, full ? same : _mm256_and_si256(same, valid));
    return c;
}

/* the high halves of the 8 words w0 (lanes 0-3), w1 (lanes 4-7) as 8 int32 lanes */
FXP_AVX2_INLINE __m256i high_halves(__m256i w0, __m256i w1)
{
    const __m256 odd = _mm256_shuffle_ps(_mm256_castsi256_ps(w0), _mm256_castsi256_ps(w1), _MM_SHUFFLE(3, 1, 3, 1));
    return _mm256_permute4x64_epi64(_mm256_castps_si256(odd), 0xD8);
}

/* 16 elements at operand elements a, b (stride 0: the broadcast), stored at out; only the
 * first `valid` count towards the overflows (all of them when `valid` is 16) */
FXP_AVX2_INLINE void int_op32_step16(const fxp_int_op_t *p, int mode, int_op32_state_avx2 *st, const char *a,
                                     const char *b, void *out, int valid)
{
    const size_t a_size = fxp_type_bytes(p->a_type), b_size = fxp_type_bytes(p->b_type);
    __m256i r0 = _mm256_setzero_si256(), r1 = _mm256_setzero_si256();
    if (mode == FXP_STOCHASTIC) {
        const __m256i w0 = xoroshiro_next_avx2(&st->rng, 0), w1 = xoroshiro_next_avx2(&st->rng, 1);
        const __m256i w2 = xoroshiro_next_avx2(&st->rng, 0), w3 = xoroshiro_next_avx2(&st->rng, 1);
        r0 = high_halves(w0, w1);
        r1 = high_halves(w2, w3);
    }
    const int full = valid == 16;
    const __m256i count = _mm256_set1_epi32(valid);
    const __m256i v0 = int_op32_step8(p, mode, st, a, b, r0, full,
                                      _mm256_cmpgt_epi32(count, _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
    const __m256i v1 = int_op32_step8(p, mode, st, a + 8 * a_size, b + 8 * b_size, r1, full,
                                      _mm256_cmpgt_epi32(count, _mm256_setr_epi32(8, 9, 10, 11, 12, 13, 14, 15)));
    store16_epi32_avx2(out, p->out_type, v0, v1);
}

/* The loop of op q (a copy: stores through char * could alias *p and reload its fields in
 * every step).  mode, op, the types and the strides are compile-time constants in
 * int_op32_avx2's specialised calls, whose branches on them then leave the loop. */
FXP_AVX2_INLINE int64_t int_op32_loop_avx2(fxp_int_op_t q, int mode, int op, int a_type, int b_type, int out_type,
                                           int64_t a_stride, int64_t b_stride, int64_t start, int64_t n)
{
    const fxp_int_op_t fixed = int_op_fixed(q, op, a_type, b_type, out_type, a_stride, b_stride);
    const fxp_int_op_t *p = &fixed;
    int_op32_state_avx2 st;
    if (mode == FXP_STOCHASTIC) block_seed_avx2(p->key, (uint64_t)(start / FXP_RNG_BLOCK), &st.rng);
    st.ba = _mm256_set1_epi32((int32_t)((uint32_t)first_element(p->a, a_type) << p->a_shift));
    st.bb = _mm256_set1_epi32((int32_t)((uint32_t)first_element(p->b, b_type) << p->b_shift));
    st.lo = _mm256_set1_epi32((int32_t)p->lo);
    st.hi = _mm256_set1_epi32((int32_t)p->hi);
    st.same = _mm256_setzero_si256();
    const size_t a_size = fxp_type_bytes(a_type), b_size = fxp_type_bytes(b_type), size = fxp_type_bytes(out_type);
    const char *a_at = (const char *)p->a + (a_stride ? start * (int64_t)a_size : 0);
    const char *b_at = (const char *)p->b + (b_stride ? start * (int64_t)b_size : 0);
    char *out = (char *)p->out + start * (int64_t)size;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const char *a_i = a_stride ? a_at + i * (int64_t)a_size : a_at;
        const char *b_i = b_stride ? b_at + i * (int64_t)b_size : b_at;
        if (a_stride) prefetch_ahead(a_i);
        if (b_stride) prefetch_ahead(b_i);
        int_op32_step16(p, mode, &st, a_i, b_i, out + i * (int64_t)size, 16);
    }
    if (i < n) {
        char a_tail[16 * 4] = {0}, b_tail[16 * 4] = {0}, out_tail[16 * 4];
        if (a_stride) memcpy(a_tail, a_at + i * (int64_t)a_size, (size_t)(n - i) * a_size);
        if (b_stride) memcpy(b_tail, b_at + i * (int64_t)b_size, (size_t)(n - i) * b_size);
        int_op32_step16(p, mode, &st, a_tail, b_tail, out_tail, (int)(n - i));
        memcpy(out + i * (int64_t)size, out_tail, (size_t)(n - i) * size);
    }
    int32_t same[8];
    _mm256_storeu_si256((__m256i *)same, st.same);
    int64_t unchanged = 0;
    for (int l = 0; l < 8; ++l) unchanged += same[l];
    return n - unchanged;
}

/* int_op_chunk for the ops int_op32_fits accepts */
FXP_AVX2_TARGET
static int64_t int_op32_avx2(const fxp_int_op_t *p, int64_t start, int64_t n)
{
#define FXP_INT_OP32_LOOP int_op32_loop_avx2
    FXP_INT_OP32_SPECIALISED(p, start, n);
#undef FXP_INT_OP32_LOOP
}
