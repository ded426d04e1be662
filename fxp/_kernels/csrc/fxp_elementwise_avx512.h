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

/* The 8 doubles c (clamped so that they round into the storage type's range) as int32 lanes
 * (uint32 for FXP_U32), rounded by `mode`: nearest_even, floor and toward_zero are embedded in
 * the conversion; the other modes have rounded c already. */
FXP_AVX512_INLINE __m256i convert8_pd(__m512d c, int type, int mode)
{
#define FXP_CVT(R) (type == FXP_U32 ? _mm512_cvt_roundpd_epu32(c, R | _MM_FROUND_NO_EXC) \
                                    : _mm512_cvt_roundpd_epi32(c, R | _MM_FROUND_NO_EXC))
    switch (mode) {
    case FXP_NEAREST_EVEN: return FXP_CVT(_MM_FROUND_TO_NEAREST_INT);
    case FXP_FLOOR: return FXP_CVT(_MM_FROUND_TO_NEG_INF);
    default: return FXP_CVT(_MM_FROUND_TO_ZERO);   /* exact for integral c */
    }
#undef FXP_CVT
}

/* Store lanes m of the 8 int32 lanes v (within the storage type's range) at out. */
FXP_AVX512_INLINE void store8_epi32(void *out, int type, __mmask8 m, __m256i v)
{
    switch (type) {
    case FXP_I8: case FXP_U8: _mm256_mask_cvtepi32_storeu_epi8(out, m, v); break;
    case FXP_I16: case FXP_U16: _mm256_mask_cvtepi32_storeu_epi16(out, m, v); break;
    default: _mm256_mask_storeu_epi32(out, m, v); break;
    }
}

/* Store all 16 int32 lanes v (within the storage type's range) at out.  Narrowing in a register
 * and storing whole vectors is several times faster than the masked narrowing stores. */
FXP_AVX512_INLINE void store16_epi32(void *out, int type, __m512i v)
{
    switch (type) {
    case FXP_I8: case FXP_U8: _mm_storeu_si128((__m128i *)out, _mm512_cvtepi32_epi8(v)); break;
    case FXP_I16: case FXP_U16: _mm256_storeu_si256((__m256i *)out, _mm512_cvtepi32_epi16(v)); break;
    default: _mm512_storeu_si512(out, v); break;
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

/* The state of quantize_loop_avx512 (its steps inline, so it lives in registers). */
typedef struct {
    __m512d scale, lo, hi;        /* lo, hi: clamp bounds (clamp_bounds, or [lo, hi] for stochastic) */
    int fix_underflow;
    __m512i ra, rb;               /* xoroshiro128+ states of the 8 lane streams (stochastic) */
    __m512i prev, word_index;     /* the previous step's words and the lane permutation */
    __m512i over;                 /* out-of-range count per lane */
    __m512d finite;               /* becomes NaN once some x is NaN or +-inf */
} quantize_state_avx512;

/* One 8-lane step at x (lanes m; all 8 when `full`): scale, round, count, clamp; returns the
 * int32 lanes to store. */
FXP_AVX512_INLINE __m256i quantize_step8(quantize_state_avx512 *st, const double *x, __mmask8 m, int full,
                                         int mode, int type)
{
    const __m512d xv = full ? _mm512_loadu_pd(x) : _mm512_maskz_loadu_pd(m, x);
    __m512d y = _mm512_mul_pd(xv, st->scale);
    if (st->fix_underflow) {
        const __mmask8 under = _mm512_cmp_pd_mask(y, _mm512_setzero_pd(), _CMP_EQ_OQ) &
                               _mm512_cmp_pd_mask(xv, _mm512_setzero_pd(), _CMP_NEQ_UQ);
        const __m512i tiny = _mm512_or_si512(_mm512_and_si512(_mm512_castpd_si512(xv), _mm512_set1_epi64(INT64_MIN)),
                                             _mm512_set1_epi64(1));
        y = _mm512_mask_mov_pd(y, under, _mm512_castsi512_pd(tiny));
    }
    __m512d q = y;
    if (mode == FXP_STOCHASTIC) {
        const __m512i cur = xoroshiro_next_avx512(&st->ra, &st->rb);
        q = stochastic8(y, _mm512_permutex2var_epi64(st->prev, st->word_index, cur));
        st->prev = cur;
    }
    const __m512d c = _mm512_min_pd(_mm512_max_pd(q, st->lo), st->hi);
    const __mmask8 out_of_range = full ? _mm512_cmp_pd_mask(q, c, _CMP_NEQ_OQ) : _mm512_mask_cmp_pd_mask(m, q, c, _CMP_NEQ_OQ);
    st->over = _mm512_mask_add_epi64(st->over, out_of_range, st->over, _mm512_set1_epi64(1));
    /* vfixupimmpd keeps `finite` (token 0) for finite x and sets it to the default NaN (token 3)
     * for the classes QNaN, SNaN, -inf and +inf */
    st->finite = _mm512_fixupimm_pd(st->finite, xv, _mm512_set1_epi64(0x330033), 0);
    return convert8_pd(mode == FXP_NEAREST_AWAY ? round8_pd(c, mode, st->prev) : c, type, mode);
}

/* The quantize loop for saturate / raise: round, count, clamp and store in one pass.  A NaN
 * element's output is unspecified (NaN input makes the caller raise). */
FXP_AVX512_INLINE void quantize_loop_avx512(const double *x, const fxp_quantize_t *p, int mode, int type,
                                            int64_t start, int64_t n, int64_t counts[3])
{
    const size_t size = fxp_type_bytes(type);
    char *out = (char *)p->out + start * (int64_t)size;
    double tlo, thi;
    quantize_state_avx512 st;
    st.fix_underflow = quantize_setup(p, mode, &tlo, &thi);
    st.scale = _mm512_set1_pd(p->scale);
    st.lo = _mm512_set1_pd(tlo);
    st.hi = _mm512_set1_pd(thi);
    st.ra = st.rb = st.prev = st.over = _mm512_setzero_si512();
    if (mode == FXP_STOCHASTIC) block_seed_avx512(p->key, (uint64_t)(start / FXP_RNG_BLOCK), &st.ra, &st.rb);
    st.finite = _mm512_setzero_pd();
    /* numpy's large arrays start 16 bytes into a cache line, so the steps start o elements
     * before x, at a line boundary, with the lanes outside [0, n) masked.  Element i's random
     * word is lane i % 8 of step i / 8, so a step takes its first o words from the previous
     * lane step and the others from the current one. */
    const int64_t o = (int64_t)(((uintptr_t)x & 63) / 8);
    int64_t ids[8];
    for (int j = 0; j < 8; ++j) ids[j] = j < o ? 8 - o + j : 8 + j - o;
    st.word_index = _mm512_loadu_si512(ids);
#define FXP_AT(base, i, bytes) ((void *)((uintptr_t)(base) + (uintptr_t)(i) * (bytes)))
    int64_t i = -o;
    if (o > 0) {   /* the first step: lanes o.. of the line */
        const __mmask8 m = (__mmask8)(lane_mask(n - i) & (0xFF << o));
        store8_epi32(FXP_AT(out, i, size), type, m, quantize_step8(&st, FXP_AT(x, i, 8), m, 0, mode, type));
        i += 8;
    }
    for (; i + 16 <= n; i += 16) {
        prefetch_ahead(FXP_AT(x, i, 8));
        prefetch_ahead(FXP_AT(x, i + 8, 8));
        const __m256i v0 = quantize_step8(&st, FXP_AT(x, i, 8), 0xFF, 1, mode, type);
        const __m256i v1 = quantize_step8(&st, FXP_AT(x, i + 8, 8), 0xFF, 1, mode, type);
        store16_epi32(FXP_AT(out, i, size), type, _mm512_inserti64x4(_mm512_castsi256_si512(v0), v1, 1));
    }
    for (; i < n; i += 8) {
        const __mmask8 m = lane_mask(n - i);
        store8_epi32(FXP_AT(out, i, size), type, m, quantize_step8(&st, FXP_AT(x, i, 8), m, 0, mode, type));
    }
#undef FXP_AT
    if (_mm512_cmp_pd_mask(st.finite, st.finite, _CMP_UNORD_Q)) count_nonfinite(x, n, counts);
    counts[0] += _mm512_reduce_add_epi64(st.over);
}

/* Quantize a chunk under saturate / raise (the wrap path stays in fxp_elementwise_body.h). */
FXP_AVX512_TARGET
static void quantize_clamp_avx512(const double *x, const fxp_quantize_t *p, int64_t start, int64_t n,
                                  int64_t counts[3])
{
    FXP_QUANTIZE_SPECIALISED(quantize_loop_avx512, x, p, start, n, counts);
}

/* ---- add / subtract / multiply of 8- and 16-bit operands in 16 int32 lanes (see
 * fxp_elementwise_simd.h), 16 elements per step ---- */

/* 16 operand elements from i (lanes m; all 16 when `full`) as int32, shifted left; stride 0
 * gives the broadcast */
FXP_AVX512_INLINE __m512i load16_epi32(const void *src, int type, int64_t stride, int64_t i,
                                       __mmask16 m, int full, __m512i bcast, int shift)
{
    if (stride == 0) return bcast;
    __m512i v;
    const int8_t *at8 = (const int8_t *)src + i;
    const int16_t *at16 = (const int16_t *)src + i;
    const int32_t *at32 = (const int32_t *)src + i;
    switch (type) {
    case FXP_I8: v = _mm512_cvtepi8_epi32(full ? _mm_loadu_si128((const __m128i *)at8) : _mm_maskz_loadu_epi8(m, at8)); break;
    case FXP_U8: v = _mm512_cvtepu8_epi32(full ? _mm_loadu_si128((const __m128i *)at8) : _mm_maskz_loadu_epi8(m, at8)); break;
    case FXP_I16: v = _mm512_cvtepi16_epi32(full ? _mm256_loadu_si256((const __m256i *)at16) : _mm256_maskz_loadu_epi16(m, at16)); break;
    default: v = full ? _mm512_loadu_si512(at32) : _mm512_maskz_loadu_epi32(m, at32); break;
    }
    return shift ? _mm512_sll_epi32(v, _mm_cvtsi32_si128(shift)) : v;
}

/* Store lanes m of the 16 int32 lanes v (within the storage type's range) at out. */
FXP_AVX512_INLINE void store16_mask_epi32(void *out, int type, __mmask16 m, __m512i v)
{
    switch (type) {
    case FXP_I8: case FXP_U8: _mm512_mask_cvtepi32_storeu_epi8(out, m, v); break;
    case FXP_I16: case FXP_U16: _mm512_mask_cvtepi32_storeu_epi16(out, m, v); break;
    default: _mm512_mask_storeu_epi32(out, m, v); break;
    }
}

/* v / 2**s rounded like fxp_shr_round_i64_near in 16 int32 lanes (r: the high 32 bits of the
 * random words) or 8 int64 lanes (r: the random words) */
FXP_DEFINE_ROUND_LANES(round16_epi32, FXP_AVX512_INLINE, __m512i, _mm512, si512, epi32, 32)
FXP_DEFINE_NARROW_LANES(narrow16_epi32, FXP_AVX512_INLINE, __m512i, _mm512)
FXP_DEFINE_ROUND_LANES(round8_epi64, FXP_AVX512_INLINE, __m512i, _mm512, si512, epi64, 64)

/* The state of int_op32_loop_avx512 (its steps inline, so it lives in registers). */
typedef struct {
    __m512i ra, rb;          /* xoroshiro128+ states of the 8 lane streams (stochastic) */
    __m512i ba, bb;          /* the broadcast operands (stride 0) */
    __m512i lo, hi;
    __m512i over;            /* out-of-range count per lane */
    int64_t as, bs;          /* the chunk's first element of a and b */
} int_op32_state_avx512;

/* One 16-lane step at chunk element i (lanes m; all 16 when `full`): load, op, round, narrow;
 * returns the int32 lanes to store. */
FXP_AVX512_INLINE __m512i int_op32_step(const fxp_int_op_t *p, int mode, int_op32_state_avx512 *st,
                                        int64_t i, __mmask16 m, int full)
{
    const __m512i a = load16_epi32(p->a, p->a_type, p->a_stride, st->as + i, m, full, st->ba, p->a_shift);
    __m512i v = a;
    if (p->op != FXP_OP_COPY) {
        const __m512i b = load16_epi32(p->b, p->b_type, p->b_stride, st->bs + i, m, full, st->bb, p->b_shift);
        v = p->op == FXP_OP_ADD ? _mm512_add_epi32(a, b) : p->op == FXP_OP_SUB ? _mm512_sub_epi32(a, b)
                                                                                  : _mm512_mullo_epi32(a, b);
    }
    if (mode >= 0) {
        __m512i rw = _mm512_setzero_si512();
        if (mode == FXP_STOCHASTIC) {   /* high halves of the words of 2 lane steps */
            const __m512i odd_dwords = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
            const __m512i w0 = xoroshiro_next_avx512(&st->ra, &st->rb);
            rw = _mm512_permutex2var_epi32(w0, odd_dwords, xoroshiro_next_avx512(&st->ra, &st->rb));
        }
        v = round16_epi32(v, p->s, mode, rw);
    }
    const __m512i c = narrow16_epi32(v, p, st->lo, st->hi);
    const __mmask16 changed = full ? _mm512_cmpneq_epi32_mask(c, v) : _mm512_mask_cmpneq_epi32_mask(m, c, v);
    st->over = _mm512_mask_add_epi32(st->over, changed, st->over, _mm512_set1_epi32(1));
    return c;
}

/* The loop of op q (a copy: stores through char * could alias *p and reload its fields in
 * every step).  mode, op, the types and the strides are compile-time constants in
 * int_op32_avx512's specialised calls, whose branches on them then leave the loop. */
FXP_AVX512_INLINE int64_t int_op32_loop_avx512(fxp_int_op_t q, int mode, int op, int a_type, int b_type,
                                               int out_type, int64_t a_stride, int64_t b_stride, int64_t start, int64_t n)
{
    const fxp_int_op_t fixed = int_op_fixed(q, op, a_type, b_type, out_type, a_stride, b_stride);
    const fxp_int_op_t *p = &fixed;
    int_op32_state_avx512 st;
    st.ra = st.rb = st.over = _mm512_setzero_si512();
    if (mode == FXP_STOCHASTIC) block_seed_avx512(p->key, (uint64_t)(start / FXP_RNG_BLOCK), &st.ra, &st.rb);
    st.ba = _mm512_set1_epi32((int32_t)((uint32_t)first_element(p->a, p->a_type) << p->a_shift));
    st.bb = _mm512_set1_epi32((int32_t)((uint32_t)first_element(p->b, p->b_type) << p->b_shift));
    st.lo = _mm512_set1_epi32((int32_t)p->lo);
    st.hi = _mm512_set1_epi32((int32_t)p->hi);
    st.as = p->a_stride ? start : 0;
    st.bs = p->b_stride ? start : 0;
    const size_t size = fxp_type_bytes(p->out_type);
    char *out = (char *)p->out + start * (int64_t)size;
    /* a short first step aligns the loads of a (or of b when a is broadcast), as in
     * quantize_loop_avx512; not for stochastic, whose lanes are tied to positions % 8 */
    const int lead = p->a_stride ? p->a_type : p->b_type;
    const size_t lead_size = fxp_type_bytes(lead);
    const char *lead_at = p->a_stride ? (const char *)p->a + st.as * lead_size : (const char *)p->b + st.bs * lead_size;
    const uintptr_t load_bytes = 16 * lead_size;
    const int64_t head = (int64_t)((load_bytes - ((uintptr_t)lead_at & (load_bytes - 1))) & (load_bytes - 1)) / (int64_t)lead_size;
    int64_t i = 0;
    if (mode != FXP_STOCHASTIC && head > 0) {
        i = head < n ? head : n;
        const __mmask16 m = (__mmask16)((1u << i) - 1);
        store16_mask_epi32(out, p->out_type, m, int_op32_step(p, mode, &st, 0, m, 0));
    }
    const char *a_at = (const char *)p->a + st.as * (int64_t)fxp_type_bytes(p->a_type);
    const char *b_at = (const char *)p->b + st.bs * (int64_t)fxp_type_bytes(p->b_type);
    for (; i + 16 <= n; i += 16) {
        if (p->a_stride) prefetch_ahead(a_at + i * (int64_t)fxp_type_bytes(p->a_type));
        if (p->b_stride && p->op != FXP_OP_COPY) prefetch_ahead(b_at + i * (int64_t)fxp_type_bytes(p->b_type));
        store16_epi32(out + i * (int64_t)size, p->out_type, int_op32_step(p, mode, &st, i, 0xFFFF, 1));
    }
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        store16_mask_epi32(out + i * (int64_t)size, p->out_type, m, int_op32_step(p, mode, &st, i, m, 0));
    }
    return _mm512_reduce_add_epi32(st.over);
}

/* int_op_chunk for the ops int_op32_fits accepts */
FXP_AVX512_TARGET
static int64_t int_op32_avx512(const fxp_int_op_t *p, int64_t start, int64_t n)
{
#define FXP_INT_OP32_LOOP int_op32_loop_avx512
    FXP_INT_OP32_SPECIALISED(p, start, n);
#undef FXP_INT_OP32_LOOP
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
    return p->op == FXP_OP_MUL && p->a_shift == 0 && p->b_shift == 0 && fxp_type_magnitude_bits(p->a_type) <= 31 &&
           fxp_type_magnitude_bits(p->b_type) <= 31 && p->s >= 0 && p->s < 64 && p->out_type <= FXP_U32;
}

/* 8 operand elements from i (lanes m; all 8 when `full`) sign- or zero-extended to int64;
 * stride 0 gives the broadcast bcast */
FXP_AVX512_INLINE __m512i load8_epi64(const void *src, int type, int64_t stride, int64_t i,
                                      __mmask8 m, int full, __m512i bcast)
{
    if (stride == 0) return bcast;
    const char *at = (const char *)src + i * (int64_t)fxp_type_bytes(type);
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

/* The loop for op q (a copy: stores through char * could alias *p and reload its fields in
 * every step).  mode (-1: s == 0, no rounding) is a compile-time constant after inlining, and so
 * are a_type, b_stride and out_type in int_op64_avx512's specialised calls, whose switches then
 * leave the loop. */
FXP_AVX512_INLINE int64_t int_op64_loop(fxp_int_op_t q, int mode, int a_type, int64_t b_stride, int out_type,
                                        int64_t start, int64_t n)
{
    __m512i ra = _mm512_setzero_si512(), rb = _mm512_setzero_si512();
    if (mode == FXP_STOCHASTIC) block_seed_avx512(q.key, (uint64_t)(start / FXP_RNG_BLOCK), &ra, &rb);
    const __m512i ba = _mm512_set1_epi64(first_element(q.a, a_type));
    const __m512i bb = _mm512_set1_epi64(first_element(q.b, q.b_type));
    const __m512i lo = _mm512_set1_epi64(q.lo), hi = _mm512_set1_epi64(q.hi);
    const __m512i one = _mm512_set1_epi64(1);
    const int wrap = q.ovf == FXP_WRAP, signed_out = q.lo < 0;
    const __m128i wrap_shift = _mm_cvtsi32_si128(64 - q.w);
    char *out = (char *)q.out + start * (int64_t)fxp_type_bytes(out_type);
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
