/* Ceiling of the int16 GEMM on this CPU, without Python: the AVX-512 micro-kernel on
 * L1-resident panels, then the whole C kernel (fxp_gemm, 32-bit saturating accumulator).
 *
 *   gcc -O3 -fopenmp -Ifxp/_kernels/csrc bench/gemm_ukernel.c -o /tmp/gemm_ukernel
 *   /tmp/gemm_ukernel [n_threads]
 */
#include <stdio.h>
#include <time.h>

#include "../fxp/_kernels/csrc/_gemm.c"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static double ukernel_gmacs(void)
{
    enum { KP = 128, REPS = 100000 };
    uint32_t *ap = fxp_alloc(12 * KP * 4), *bp = fxp_alloc(32 * KP * 4);
    int32_t ct[12 * 32] = {0};
    for (int i = 0; i < 12 * KP; i++) ap[i] = (uint32_t)rand();
    for (int i = 0; i < 32 * KP; i++) bp[i] = (uint32_t)rand();
    double t0 = now();
    int flags = 0;
    for (int r = 0; r < REPS; r++)
        flags |= ukr_avx512(KP, ap, bp, ct, 32, 32, UINT32_MAX);
    double t = now() - t0;
    free(ap);
    free(bp);
    return flags >= 0 ? (double)REPS * KP * 2 * 12 * 32 / t / 1e9 : 0.0;
}

static double gemm_gmacs(ptrdiff_t n, int nt)
{
    int16_t *a = malloc(n * n * 2), *b = malloc(n * n * 2);
    int64_t *c = malloc(n * n * 8);
    ptrdiff_t off = 0;
    for (ptrdiff_t i = 0; i < n * n; i++) {
        a[i] = (int16_t)(rand() % 8192 - 4096);   /* s16.12 values in [-1, 1) */
        b[i] = (int16_t)(rand() % 8192 - 4096);
    }
    fxp_gemm_args g = {0};
    g.a = (const char *)a, g.a_type = FXP_I16, g.a_rs = n, g.a_cs = 1, g.a_off = &off;
    g.b = (const char *)b, g.b_type = FXP_I16, g.b_rs = n, g.b_cs = 1, g.b_off = &off;
    g.c = c, g.n_batch = 1, g.m = g.n = g.k = n;
    g.acc_bits = 32, g.n_threads = nt, g.isa = -1;
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
    if (fxp_gemm_best_isa() < 2) {
        printf("no AVX-512BW on this CPU\n");
        return 0;
    }
    printf("micro-kernel 12x32, L1-resident: %.1f GMAC/s\n", ukernel_gmacs());
    for (ptrdiff_t n = 1024; n <= 2048; n *= 2)
        printf("fxp_gemm n=%td, %d thread(s): %.1f GMAC/s\n", n, nt, gemm_gmacs(n, nt));
    return 0;
}
