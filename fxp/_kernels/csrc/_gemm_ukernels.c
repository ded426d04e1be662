/* The GEMM's micro-kernels (driver 1's innermost loop, contract in _gemm_internal.h): an
 * MR x NR int32 tile of C plus kp packed dword steps of A and B, with checkpoints.  Portable C
 * 6 x 16; AVX2 6 x 16 and AVX-512BW 12 x 32 (vpmaddwd); VNNI 12 x 32 (vpdpwssd, vpdpbusd). */
#include "_gemm_internal.h"

static uint32_t abs_u32(int32_t x) { return x < 0 ? 0u - (uint32_t)x : (uint32_t)x; }

int fxpg_ukr_portable(ptrdiff_t kp, const uint32_t *ap, const uint32_t *bp, const int32_t *src,
                      ptrdiff_t lds, int32_t *ct, ptrdiff_t ldc, ptrdiff_t group, uint32_t thresh)
{
    enum { MR = 6, NR = 16 };
    uint32_t acc[MR][NR];
    int rows = 0;
    for (int r = 0; r < MR; r++)
        for (int c = 0; c < NR; c++)
            acc[r][c] = (uint32_t)src[r * lds + c];
    for (ptrdiff_t p0 = 0; p0 <= kp; p0 += group) {
        for (int r = 0; r < MR; r++)
            for (int c = 0; c < NR; c++)
                if (abs_u32((int32_t)acc[r][c]) > thresh)
                    rows |= 1 << r;
        ptrdiff_t p1 = p0 + group < kp ? p0 + group : kp;
        for (ptrdiff_t p = p0; p < p1; p++) {
            const uint32_t *a = ap + p * MR, *b = bp + p * NR;
            for (int r = 0; r < MR; r++) {
                int32_t a0 = (int16_t)(a[r] & 0xffff), a1 = (int16_t)(a[r] >> 16);
                for (int c = 0; c < NR; c++) {
                    int32_t b0 = (int16_t)(b[c] & 0xffff), b1 = (int16_t)(b[c] >> 16);
                    acc[r][c] += (uint32_t)(a0 * b0) + (uint32_t)(a1 * b1);
                }
            }
        }
    }
    for (int r = 0; r < MR; r++)
        for (int c = 0; c < NR; c++)
            ct[r * ldc + c] = (int32_t)acc[r][c];
    return rows;
}

#if FXP_X86
/* every unsigned lane of x <= the matching lane of t */
FXP_AVX2_TARGET static inline int all_le(__m256i x, __m256i t)
{
    return _mm256_movemask_epi8(_mm256_cmpeq_epi32(_mm256_max_epu32(x, t), t)) == -1;
}

FXP_AVX2_TARGET int fxpg_ukr_avx2(ptrdiff_t kp, const uint32_t *ap, const uint32_t *bp,
                                  const int32_t *src, ptrdiff_t lds, int32_t *ct, ptrdiff_t ldc,
                                  ptrdiff_t group, uint32_t thresh)
{
    /* 6 x 16: 12 accumulators + 2 B vectors + 1 broadcast + 1 max = 16 ymm */
#define FXP_ROWS6(X) X(0) X(1) X(2) X(3) X(4) X(5)
#define FXP_LOAD(i)                                                          \
    __m256i c##i##a = _mm256_loadu_si256((const __m256i *)(src + (i) * lds));  \
    __m256i c##i##b = _mm256_loadu_si256((const __m256i *)(src + (i) * lds + 8));
#define FXP_MAX(i)                                             \
    mx = _mm256_max_epu32(mx, _mm256_abs_epi32(c##i##a));      \
    mx = _mm256_max_epu32(mx, _mm256_abs_epi32(c##i##b));
#define FXP_ROW(i)                                                                        \
    if (!all_le(_mm256_max_epu32(_mm256_abs_epi32(c##i##a), _mm256_abs_epi32(c##i##b)), thr)) \
        rows |= 1 << (i);
#define FXP_STEP(i)                                                   \
    {                                                                 \
        __m256i a = _mm256_set1_epi32((int)ap[i]);                    \
        c##i##a = _mm256_add_epi32(c##i##a, _mm256_madd_epi16(a, b0)); \
        c##i##b = _mm256_add_epi32(c##i##b, _mm256_madd_epi16(a, b1)); \
    }
#define FXP_STORE(i)                                          \
    _mm256_storeu_si256((__m256i *)(ct + (i) * ldc), c##i##a);  \
    _mm256_storeu_si256((__m256i *)(ct + (i) * ldc + 8), c##i##b);
    FXP_ROWS6(FXP_LOAD)
    const __m256i thr = _mm256_set1_epi32((int)thresh);
    int rows = 0;
    for (ptrdiff_t p0 = 0; p0 <= kp; p0 += group) {
        __m256i mx = _mm256_setzero_si256();
        FXP_ROWS6(FXP_MAX)
        if (!all_le(mx, thr)) {
            FXP_ROWS6(FXP_ROW)
        }
        ptrdiff_t p1 = p0 + group < kp ? p0 + group : kp;
        for (ptrdiff_t p = p0; p < p1; p++) {
            __m256i b0 = _mm256_loadu_si256((const __m256i *)bp);
            __m256i b1 = _mm256_loadu_si256((const __m256i *)(bp + 8));
            FXP_ROWS6(FXP_STEP)
            ap += 6;
            bp += 16;
        }
    }
    FXP_ROWS6(FXP_STORE)
    return rows;
#undef FXP_LOAD
#undef FXP_MAX
#undef FXP_ROW
#undef FXP_STEP
#undef FXP_STORE
}

/* 12 x 32 int32 tile: 24 accumulators + 2 B vectors + broadcast + max + temps <= 32 zmm.
 * MAC(c, a, b) adds the products of one dword step (2 int16 pairs or 4 byte quads). */
#define FXP_ROWS12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#define FXP_Z_LOAD(i)                                                     \
    __m512i c##i##a = _mm512_loadu_si512((const void *)(src + (i) * lds)); \
    __m512i c##i##b = _mm512_loadu_si512((const void *)(src + (i) * lds + 16));
#define FXP_Z_MAX(i)                                       \
    mx = _mm512_max_epu32(mx, _mm512_abs_epi32(c##i##a)); \
    mx = _mm512_max_epu32(mx, _mm512_abs_epi32(c##i##b));
#define FXP_Z_ROW(i)                                                                \
    if (_mm512_cmpgt_epu32_mask(_mm512_max_epu32(_mm512_abs_epi32(c##i##a),         \
                                                 _mm512_abs_epi32(c##i##b)), thr)) \
        rows |= 1 << (i);
#define FXP_Z_STORE(i)                                        \
    _mm512_storeu_si512((void *)(ct + (i) * ldc), c##i##a); \
    _mm512_storeu_si512((void *)(ct + (i) * ldc + 16), c##i##b);
#define DEF_UKR_ZMM(NAME, TARGET, MAC)                                                          \
    TARGET int NAME(ptrdiff_t kp, const uint32_t *ap, const uint32_t *bp, const int32_t *src,  \
                    ptrdiff_t lds, int32_t *ct, ptrdiff_t ldc, ptrdiff_t group, uint32_t thresh) \
    {                                                                                          \
        FXP_ROWS12(FXP_Z_LOAD)                                                                 \
        const __m512i thr = _mm512_set1_epi32((int)thresh);                                    \
        int rows = 0;                                                                          \
        for (ptrdiff_t p0 = 0; p0 <= kp; p0 += group) {                                        \
            __m512i mx = _mm512_setzero_si512();                                               \
            FXP_ROWS12(FXP_Z_MAX)                                                              \
            if (_mm512_cmpgt_epu32_mask(mx, thr)) {                                            \
                FXP_ROWS12(FXP_Z_ROW)                                                          \
            }                                                                                  \
            ptrdiff_t p1 = p0 + group < kp ? p0 + group : kp;                                  \
            for (ptrdiff_t p = p0; p < p1; p++) {                                              \
                const __m512i b0 = _mm512_loadu_si512((const void *)bp);                       \
                const __m512i b1 = _mm512_loadu_si512((const void *)(bp + 16));                \
                FXP_ROWS12(FXP_Z_STEP_##MAC)                                                   \
                ap += 12;                                                                      \
                bp += 32;                                                                      \
            }                                                                                  \
        }                                                                                      \
        FXP_ROWS12(FXP_Z_STORE)                                                                \
        return rows;                                                                           \
    }
/* vpmaddwd + vpaddd (AVX-512BW); vpdpwssd (VNNI, one fused instruction, same int32
 * result mod 2**32); vpdpbusd (VNNI, unsigned bytes of A x signed bytes of B) */
#define FXP_Z_STEP_MADD(i)                                                         \
    {                                                                              \
        const __m512i a = _mm512_set1_epi32((int)ap[i]);                           \
        c##i##a = _mm512_add_epi32(c##i##a, _mm512_madd_epi16(a, b0));             \
        c##i##b = _mm512_add_epi32(c##i##b, _mm512_madd_epi16(a, b1));             \
    }
#define FXP_Z_STEP_DPWSSD(i)                               \
    {                                                      \
        const __m512i a = _mm512_set1_epi32((int)ap[i]);   \
        c##i##a = _mm512_dpwssd_epi32(c##i##a, a, b0);     \
        c##i##b = _mm512_dpwssd_epi32(c##i##b, a, b1);     \
    }
#define FXP_Z_STEP_DPBUSD(i)                               \
    {                                                      \
        const __m512i a = _mm512_set1_epi32((int)ap[i]);   \
        c##i##a = _mm512_dpbusd_epi32(c##i##a, a, b0);     \
        c##i##b = _mm512_dpbusd_epi32(c##i##b, a, b1);     \
    }
DEF_UKR_ZMM(fxpg_ukr_avx512, FXP_AVX512_TARGET, MADD)
DEF_UKR_ZMM(fxpg_ukr_vnni16, FXP_VNNI_TARGET, DPWSSD)
DEF_UKR_ZMM(fxpg_ukr_vnni8, FXP_VNNI_TARGET, DPBUSD)
#endif
