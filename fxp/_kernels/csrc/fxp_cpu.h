/* The SIMD levels of both kernels, on one scale: 0 portable, 1 AVX2 (the x86-64-v3 features),
 * 2 AVX-512 (the x86-64-v4 features).  This header holds the target lists each level's code is
 * compiled with, the one CPU detector, which tests exactly those features (so a CPU that passes
 * it runs every instruction compiled in), and the one override, FXP_SIMD_LEVEL.  The GEMM also
 * has VNNI kernels within level 2, used where fxp_cpu_has_vnni().  fxp/_kernels/__init__.py
 * rejects a bad FXP_SIMD_LEVEL when fxp is imported. */
#ifndef FXP_CPU_H
#define FXP_CPU_H
#include <stdlib.h>

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define FXP_X86 1
#include <immintrin.h>
/* feature lists rather than "arch=x86-64-v3/v4", which older compilers do not know */
#define FXP_AVX2_TARGET __attribute__((target("avx2,fma,bmi,bmi2,lzcnt,popcnt,f16c")))
#define FXP_AVX512_TARGET \
    __attribute__((target("avx2,fma,bmi,bmi2,lzcnt,popcnt,f16c,avx512f,avx512bw,avx512cd,avx512dq,avx512vl")))
#define FXP_VNNI_TARGET                                                                        \
    __attribute__((target("avx2,fma,bmi,bmi2,lzcnt,popcnt,f16c,avx512f,avx512bw,avx512cd,avx512dq,avx512vl," \
                          "avx512vnni")))
#else
#define FXP_X86 0
#endif

/* the best level the CPU (and the OS, which must save the vector registers) supports */
static inline int fxp_cpu_level(void)
{
#if FXP_X86
    __builtin_cpu_init();
    const int v3 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                   __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") &&
                   __builtin_cpu_supports("lzcnt") && __builtin_cpu_supports("popcnt") &&
                   __builtin_cpu_supports("f16c");
    const int v4 = v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                   __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") &&
                   __builtin_cpu_supports("avx512vl");
    return v4 ? 2 : v3 ? 1 : 0;
#else
    return 0;
#endif
}

/* whether the CPU runs FXP_VNNI_TARGET code (level 2 plus avx512vnni) */
static inline int fxp_cpu_has_vnni(void)
{
#if FXP_X86
    return fxp_cpu_level() == 2 && __builtin_cpu_supports("avx512vnni");
#else
    return 0;
#endif
}

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
