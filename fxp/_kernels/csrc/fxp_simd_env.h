/* The FXP_SIMD_LEVEL environment variable: the highest SIMD level the kernels of this process use
 * by default (0 portable, 1 AVX2, 2 AVX-512), on the scale of fxp_simd_level (fxp_elementwise.h).
 * fxp/_kernels/__init__.py rejects any other value when fxp is imported. */
#ifndef FXP_SIMD_ENV_H
#define FXP_SIMD_ENV_H
#include <stdlib.h>

/* the level FXP_SIMD_LEVEL asks for, or -1 when it is unset or empty; read once per process
 * (every thread that races on the first read stores the same value) */
static inline int fxp_simd_level_from_env(void)
{
    static int level = -2;
    if (level == -2) {
        const char *v = getenv("FXP_SIMD_LEVEL");
        level = (v == NULL || v[0] < '0' || v[0] > '2' || v[1] != '\0') ? -1 : v[0] - '0';
    }
    return level;
}

#endif
