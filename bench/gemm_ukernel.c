/* Ceiling of the integer GEMM on this CPU, without Python: the AVX-512 micro-kernels on
 * L1-resident panels, then the whole C kernel (fxp_gemm, 32-bit saturating accumulator)
 * with each kernel set (isa 2: AVX-512BW vpmaddwd; isa 3: VNNI vpdpwssd / vpdpbusd).
 *
 *   gcc -O3 -fopenmp -Ifxp/_kernels/csrc bench/gemm_ukernel.c fxp/_kernels/csrc/_gemm*.c \
 *       -o /tmp/gemm_ukernel
 *   /tmp/gemm_ukernel [n_threads]
 */
#include <stdio.h>
#include <time.h>

#include "_gemm_internal.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* MACs per dword step: 2 (int16 pairs) or 4 (byte quads) */
static double ukernel_gmacs(ukr_fn ukr, int kpd)
{
    enum { KP = 128, REPS = 100000 };
    uint32_t *ap = fxp_alloc(12 * KP * 4), *bp = fxp_alloc(32 * KP * 4);
    int32_t ct[12 * 32] = {0};
    for (int i = 0; i < 12 * KP; i++) ap[i] = (uint32_t)rand();
    for (int i = 0; i < 32 * KP; i++) bp[i] = (uint32_t)rand();
    double t0 = now();
    int flags = 0;
    for (int r = 0; r < REPS; r++)
        flags |= ukr(KP, ap, bp, ct, 32, ct, 32, KP, UINT32_MAX);
    double t = now() - t0;
    free(ap);
    free(bp);
    return flags >= 0 ? (double)REPS * KP * kpd * 12 * 32 / t / 1e9 : 0.0;
}

/* s16.12 values in [-1, 1) (int16) or s8.6 values in [-2, 2) (int8) */
static double gemm_gmacs(ptrdiff_t n, int nt, int isa, int bytes)
{
    char *a = malloc(n * n * 2), *b = malloc(n * n * 2);
    int64_t *c = malloc(n * n * 8);
    ptrdiff_t off = 0;
    for (ptrdiff_t i = 0; i < n * n; i++) {
        if (bytes == 1) {
            a[i] = (int8_t)(rand() % 256 - 128);
            b[i] = (int8_t)(rand() % 256 - 128);
        } else {
            ((int16_t *)a)[i] = (int16_t)(rand() % 8192 - 4096);
            ((int16_t *)b)[i] = (int16_t)(rand() % 8192 - 4096);
        }
    }
    fxp_gemm_args g = {0};
    int type = bytes == 1 ? FXP_I8 : FXP_I16;
    g.a = a, g.a_type = type, g.a_rs = n, g.a_cs = 1, g.a_off = &off;
    g.b = b, g.b_type = type, g.b_rs = n, g.b_cs = 1, g.b_off = &off;
    g.c = c, g.n_batch = 1, g.m = g.n = g.k = n;
    g.acc_bits = 32, g.n_threads = nt, g.isa = isa, g.out_int32 = 1;
    double best = 1e30;
    for (int r = 0; r < 4; r++) {
        double t0 = now();
        fxp_gemm(&g);
        double t = now() - t0;
        best = t < best ? t : best;
    }
    free(a), free(b), free(c);
    return (double)n * n * n / best / 1e9;
}

int main(int argc, char **argv)
{
    int nt = argc > 1 ? atoi(argv[1]) : 1;
    int best = fxp_gemm_best_isa();
    if (best < 2) {
        printf("no AVX-512BW on this CPU\n");
        return 0;
    }
    printf("micro-kernel 12x32 vpmaddwd, L1-resident: %.1f GMAC/s\n", ukernel_gmacs(fxpg_ukr_avx512, 2));
    if (best >= 3) {
        printf("micro-kernel 12x32 vpdpwssd, L1-resident: %.1f GMAC/s\n", ukernel_gmacs(fxpg_ukr_vnni16, 2));
        printf("micro-kernel 12x32 vpdpbusd, L1-resident: %.1f GMAC/s\n", ukernel_gmacs(fxpg_ukr_vnni8, 4));
    }
    for (ptrdiff_t n = 1024; n <= 2048; n *= 2)
        for (int isa = 2; isa <= best; isa++)
            for (int bytes = 2; bytes >= 1; bytes--)
                printf("fxp_gemm n=%td, int%d, isa %d, %d thread(s): %.1f GMAC/s\n", n, 8 * bytes,
                       isa, nt, gemm_gmacs(n, nt, isa, bytes));
    return 0;
}
