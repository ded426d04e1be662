/* What the translation units of the GEMM (fxp._kernels._gemm) share: the operand view, the
 * bound data, the two drivers' plans, the block sizes, the hot inline helpers and the
 * functions one file calls in another (prefix fxpg_).  Private to the GEMM; the design is
 * described at the top of _gemm.c. */
#ifndef FXP_GEMM_INTERNAL_H
#define FXP_GEMM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "_gemm.h"
#include "fxp_cpu.h"
#include "fxp_types.h"

#define FXP_INLINE static inline __attribute__((always_inline))

#define NB 64          /* driver-2 column block; driver-1 flags use the same blocks */
#ifndef KC_PAIRS
#define KC_PAIRS 192   /* K block, in pairs of k: B sliver KC x NR in L1 (24 KiB) */
#endif
#ifndef MC_MAX
#define MC_MAX 144     /* A block MC x KC (multiple of 12 and 6) stays in L2 */
#endif
#define NC_MAX 3072    /* B block KC x NC stays in L3 */

/* A view of one batch item's operands. */
typedef struct {
    const char *a, *b;
    int a_type, b_type;
    ptrdiff_t a_rs, a_cs, b_rs, b_cs;
    ptrdiff_t m, n, k;
    int64_t *c;
} mat_view;

/* Per-row sums and maxima of |A| and per-column ones of |B|: the bound data. */
typedef struct {
    uint64_t *rowabs, *rowmax, *colabs, *colmax;
} bound_data;

/* FN##_T(...) for the C type T of operand type code `type` (FXP_I8 .. FXP_I32) */
#define FXP_TYPED_SWITCH(type, FN, ...)                 \
    switch (type) {                                     \
    case FXP_I8: FN##_int8_t(__VA_ARGS__); break;       \
    case FXP_U8: FN##_uint8_t(__VA_ARGS__); break;      \
    case FXP_I16: FN##_int16_t(__VA_ARGS__); break;     \
    case FXP_U16: FN##_uint16_t(__VA_ARGS__); break;    \
    default: FN##_int32_t(__VA_ARGS__); break;          \
    }
#define FXP_FOR_TYPES(X) X(int8_t) X(uint8_t) X(int16_t) X(uint16_t) X(int32_t)

/* NAME_avx512, NAME_avx2 or NAME_portable: the variant of a per-ISA function for kernel set isa */
#if FXP_X86
#define FXPG_PICK(isa, NAME) ((isa) >= 2 ? NAME##_avx512 : (isa) == 1 ? NAME##_avx2 : NAME##_portable)
#else
#define FXPG_PICK(isa, NAME) NAME##_portable
#endif

static inline void *fxp_alloc(size_t bytes)
{
    size_t size = (bytes + 63) / 64 * 64;
    return aligned_alloc(64, size ? size : 64);
}

static inline ptrdiff_t min_pd(ptrdiff_t x, ptrdiff_t y) { return x < y ? x : y; }

static inline uint64_t max_u64(const uint64_t *x, ptrdiff_t lo, ptrdiff_t hi)
{
    uint64_t mx = 0;
    for (ptrdiff_t i = lo; i < hi; i++)
        mx = x[i] > mx ? x[i] : mx;
    return mx;
}

/* Upper bound of sum_k |a_ik b_kj| over a set of outputs, saturated to 2**64-1. */
static inline uint64_t tile_bound(uint64_t rowabs, uint64_t rowmax, uint64_t colabs, uint64_t colmax)
{
    unsigned __int128 x = (unsigned __int128)rowabs * colmax;
    unsigned __int128 y = (unsigned __int128)rowmax * colabs;
    unsigned __int128 z = x < y ? x : y;
    return z > (unsigned __int128)UINT64_MAX ? UINT64_MAX : (uint64_t)z;
}

/* ---- The bound pass (_gemm_bounds.c) ---- */

/* bd = the bound data of v, with nt threads and the kernels of `isa` */
void fxpg_bounds_compute(const mat_view *v, bound_data *bd, int nt, int isa);

/* ---- Driver 1: the BLIS loops (_gemm_blis.c) around the micro-kernels (_gemm_ukernels.c) ---- */

/* Micro-kernels: ct[MR][NR] (int32, row-major) = src[MR][NR] + the kp dword steps
 * of ap x bp (src: ct itself, or at the first K block the initial row, lds = 0, so
 * that C needs no zeroing pass).
 * Checkpoints: before every group of `group` pairs (and at the end) every
 * |partial sum| is compared with `thresh`; the kernel returns the bit mask of
 * the tile rows where one exceeded it.  The caller picks group and thresh so
 * that no partial sum between two checkpoints can leave the accumulator's
 * range unless a checkpoint is above thresh; flagged rows are recomputed by
 * the exact path.  The per-row test runs only when the tile-wide maximum
 * fails, so proven tiles pay one max per accumulator per checkpoint. */
typedef int (*ukr_fn)(ptrdiff_t kp, const uint32_t *ap, const uint32_t *bp, const int32_t *src,
                      ptrdiff_t lds, int32_t *ct, ptrdiff_t ldc, ptrdiff_t group, uint32_t thresh);
int fxpg_ukr_portable(ptrdiff_t kp, const uint32_t *ap, const uint32_t *bp, const int32_t *src,
                      ptrdiff_t lds, int32_t *ct, ptrdiff_t ldc, ptrdiff_t group, uint32_t thresh);
#if FXP_X86
/* 6 x 16, vpmaddwd */
FXP_AVX2_TARGET int fxpg_ukr_avx2(ptrdiff_t kp, const uint32_t *ap, const uint32_t *bp,
                                  const int32_t *src, ptrdiff_t lds, int32_t *ct, ptrdiff_t ldc,
                                  ptrdiff_t group, uint32_t thresh);
/* 12 x 32: vpmaddwd (AVX-512BW), vpdpwssd (int16 pairs) and vpdpbusd (byte quads) (VNNI) */
FXP_AVX512_TARGET int fxpg_ukr_avx512(ptrdiff_t kp, const uint32_t *ap, const uint32_t *bp,
                                      const int32_t *src, ptrdiff_t lds, int32_t *ct,
                                      ptrdiff_t ldc, ptrdiff_t group, uint32_t thresh);
FXP_VNNI_TARGET int fxpg_ukr_vnni16(ptrdiff_t kp, const uint32_t *ap, const uint32_t *bp,
                                    const int32_t *src, ptrdiff_t lds, int32_t *ct, ptrdiff_t ldc,
                                    ptrdiff_t group, uint32_t thresh);
FXP_VNNI_TARGET int fxpg_ukr_vnni8(ptrdiff_t kp, const uint32_t *ap, const uint32_t *bp,
                                   const int32_t *src, ptrdiff_t lds, int32_t *ct, ptrdiff_t ldc,
                                   ptrdiff_t group, uint32_t thresh);
#endif

/* Packers, compiled per ISA: pack the A block [i0, i0+mc) x [k0, ...) into MR-row panels and
 * one NR-column sliver of B at column j0, kp dwords of kpd k each. */
typedef void (*d1_pack_a_fn)(const mat_view *v, int kpd, uint32_t xor_a, ptrdiff_t i0,
                             ptrdiff_t mc, ptrdiff_t k0, ptrdiff_t kp, int mr, uint32_t *ap);
typedef void (*d1_pack_b_fn)(const mat_view *v, int kpd, ptrdiff_t j0, ptrdiff_t nr_valid,
                             ptrdiff_t k0, ptrdiff_t kp, int nr, uint32_t *bp);
#define FXPG_D1_PACKERS(SUFFIX, TARGET)                                                          \
    TARGET void fxpg_d1_pack_a_##SUFFIX(const mat_view *v, int kpd, uint32_t xor_a, ptrdiff_t i0, \
                                        ptrdiff_t mc, ptrdiff_t k0, ptrdiff_t kp, int mr,         \
                                        uint32_t *ap);                                            \
    TARGET void fxpg_d1_pack_b_##SUFFIX(const mat_view *v, int kpd, ptrdiff_t j0,                 \
                                        ptrdiff_t nr_valid, ptrdiff_t k0, ptrdiff_t kp, int nr,   \
                                        uint32_t *bp);
FXPG_D1_PACKERS(portable, )
#if FXP_X86
FXPG_D1_PACKERS(avx2, FXP_AVX2_TARGET)
FXPG_D1_PACKERS(avx512, FXP_AVX512_TARGET)
#endif
#undef FXPG_D1_PACKERS

typedef struct {
    int mr, nr;
    int kpd;                  /* k per packed dword: 2 (int16 pairs) or 4 (byte quads) */
    uint32_t xor_a;           /* byte quads: 0x80808080 turns signed A into unsigned */
    const int32_t *c_init;    /* byte quads of signed A: every C row starts here */
    ukr_fn ukr;
    d1_pack_a_fn pack_a;
    d1_pack_b_fn pack_b;
    ptrdiff_t group;          /* dword steps between checkpoints */
    uint32_t thresh;          /* largest |checkpoint| that proves the tile exact */
    unsigned char *flags;     /* OUT: per (row, NB-column block), 1 = recompute exactly */
} d1_plan;

/* C (int32, m x n, in the first half of v->c) = A @ B with plan pl on nt threads; 0 or -1
 * (out of memory) */
int fxpg_d1_run(const mat_view *v, const d1_plan *pl, int nt);
/* the initial C row of byte quads with signed A (d1_plan.c_init; n elements) */
void fxpg_d1_offset_row(const mat_view *v, int32_t *row);

/* ---- Driver 2: one row x NB columns, whole K in order (_gemm_rows.c) ---- */

enum { OP_PLAIN = 0, OP_SAT = 1, OP_SATF = 2, OP_WRAPC = 3, OP_WRAPF = 4 };

typedef struct {
    const mat_view *v;
    const int32_t *bp;        /* packed B: [n_blocks][K][NB] */
    const bound_data *bd;
    const uint64_t *blk_colabs, *blk_colmax;
    const unsigned char *mask; /* per (row, column block) task, or NULL for all */
    int lane_bits;            /* 32 or 64 */
    int op;                   /* OP_* used where the bound fails */
    uint64_t plain_lim;       /* tile bound at or below which OP_PLAIN is exact */
    ptrdiff_t group;          /* checkpoint spacing of the checked plain loop, 0: none */
    uint64_t thresh;
    int64_t lo, hi;
    int shift;
    ptrdiff_t chunk;
    int defer;                /* bounded int32 tasks go to sat4_avx512 (return -1) */
} d2_ctx;

/* The int64 outputs of the tasks x->mask selects, with the kernels of `isa` on nt threads;
 * returns the bound-hit count, or -1 when out of memory.  Sets x->bp and x->blk_*. */
int64_t fxpg_d2_run(d2_ctx *x, int isa, int nt);

#endif
