/* The elementwise C kernels timed without Python: the bench_core cases (float64 -> s16.12
 * quantize, int16 add and multiply into s16.12) on preallocated buffers that start 16 bytes
 * into a cache line, as numpy's do.  Handy for A/B tests of kernel changes without the
 * 80-second extension build, and for thread scaling without allocation in the loop.
 *
 *   gcc -O3 -fopenmp -ffp-contract=off -Ifxp/_kernels/csrc -o /tmp/elementwise_loop \
 *       bench/elementwise_loop.c fxp/_kernels/csrc/_elementwise*.c -lm
 *   /tmp/elementwise_loop N [THREADS [CASE [SIMD_LEVEL]]]
 *
 * CASE: 0 quantize nearest_even, 1 quantize stochastic, 2 add, 3 multiply (default: all);
 * SIMD_LEVEL: 0 portable, 1 AVX2, 2 AVX-512 (default: the best).  Prints the best and the
 * median of 15 rounds, each a loop over about 2e8 elements. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "fxp_elementwise.h"
#include "fxp_round.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* n elements of `size` bytes starting 16 bytes into a cache line */
static void *buffer(int64_t n, size_t size)
{
    char *p = aligned_alloc(64, ((size_t)n * size + 64 + 63) / 64 * 64);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p + 16;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s N [THREADS [CASE [SIMD_LEVEL]]]\n", argv[0]);
        return 2;
    }
    const int64_t n = atol(argv[1]);
    const int n_threads = argc > 2 ? atoi(argv[2]) : 1;
    const int first = argc > 3 ? atoi(argv[3]) : 0, last = argc > 3 ? first : 3;
    if (argc > 4) fxp_simd_level(atoi(argv[4]));
    double *x = buffer(n, sizeof(double));
    int16_t *out = buffer(n, 2), *a = buffer(n, 2), *b = buffer(n, 2);
    srand(1);
    for (int64_t i = 0; i < n; i++) {
        x[i] = 20.0 * rand() / RAND_MAX - 10;
        a[i] = (int16_t)rand();
        b[i] = (int16_t)rand();
    }
    const int reps = n < 2e8 / 3 ? (int)(2e8 / n) : 3;
    const char *names[] = {"quantize nearest", "quantize stochastic", "add", "multiply"};
    for (int c = first; c <= last; c++) {
        double times[15];
        for (int r = 0; r < 15; r++) {
            int64_t counts[3] = {0, 0, 0};
            const double t = now();
            for (int k = 0; k < reps; k++) {
                if (c < 2) {
                    const fxp_quantize_t p = {x, NULL, out, FXP_I16, 4096.0, c == 0 ? FXP_NEAREST_EVEN : FXP_STOCHASTIC,
                                              FXP_SATURATE, -32768, 32767, 16, 123};
                    fxp_quantize(&p, n, n_threads, counts);
                } else {
                    const fxp_int_op_t p = {a, FXP_I16, 1, 0, b, FXP_I16, 1, 0, c == 2 ? FXP_OP_ADD : FXP_OP_MUL,
                                            out, FXP_I16, c == 2 ? 0 : 12, FXP_NEAREST_EVEN, FXP_SATURATE,
                                            -32768, 32767, 16, 5};
                    fxp_int_op(&p, n, n_threads, counts);
                }
            }
            times[r] = (now() - t) / reps;
        }
        qsort(times, 15, sizeof(double), by_value);
        printf("%-20s n=%ld threads=%d best %5.0f median %5.0f Melem/s\n", names[c], (long)n, n_threads,
               n / times[0] / 1e6, n / times[7] / 1e6);
    }
    return 0;
}
