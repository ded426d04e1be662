/* fxp random bits: xoroshiro128+ streams seeded by splitmix64.
 *
 * Stream rule (normative; fxp/_reference.py is its pure-Python twin):
 *   - every stochastic operation draws ONE 64-bit `key` from the user's generator;
 *   - stream `j` of that key starts from z = mix64(key) ^ j and takes
 *     s0 = splitmix64_next(&z), s1 = splitmix64_next(&z) as its xoroshiro128+ state
 *     (two consecutive splitmix64 outputs are distinct, so the state is never zero);
 *   - the element with flat output index i (C order) lies in block b = i / FXP_RNG_BLOCK at
 *     position p = i % FXP_RNG_BLOCK; it takes the (p / FXP_RNG_LANES)-th word of stream
 *     b * FXP_RNG_LANES + p % FXP_RNG_LANES.  The 8 lanes interleave so that one AVX-512
 *     register advances the 8 streams of a block at once; the bits never depend on threads.
 *   - consumers use the HIGH bits of a word (xoroshiro128+'s low bits are weak).
 * The GEMM rounds its accumulators with the elementwise kernel, so it follows this rule as is.
 */
#ifndef FXP_RNG_H
#define FXP_RNG_H
#include <stdint.h>

#define FXP_RNG_BLOCK 1024
#define FXP_RNG_LANES 8
#define FXP_SPLITMIX_GAMMA UINT64_C(0x9E3779B97F4A7C15)

typedef struct { uint64_t s0, s1; } fxp_stream_t;

/* splitmix64's output function: a bijection of 64-bit words (mix64(0) == 0). */
static inline uint64_t fxp_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* splitmix64 step: advance *z by the golden gamma, return the mixed word. */
static inline uint64_t fxp_splitmix64_next(uint64_t *z)
{
    *z += FXP_SPLITMIX_GAMMA;
    return fxp_mix64(*z);
}

static inline uint64_t fxp_rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* State of stream `stream` under `key` (the rule above); never all-zero. */
static inline void fxp_stream_init(fxp_stream_t *st, uint64_t key, uint64_t stream)
{
    uint64_t z = fxp_mix64(key) ^ stream;
    st->s0 = fxp_splitmix64_next(&z);
    st->s1 = fxp_splitmix64_next(&z);
}

/* Seed a stand-alone generator (fxp.random.Xorshift(seed)): z = seed, two splitmix64 words. */
static inline void fxp_stream_seed(fxp_stream_t *st, uint64_t seed)
{
    uint64_t z = seed;
    st->s0 = fxp_splitmix64_next(&z);
    st->s1 = fxp_splitmix64_next(&z);
}

/* xoroshiro128+ 1.0 (Blackman & Vigna, a=24 b=16 c=37): next 64-bit word. */
static inline uint64_t fxp_stream_next(fxp_stream_t *st)
{
    const uint64_t s0 = st->s0;
    uint64_t s1 = st->s1;
    const uint64_t result = s0 + s1;
    s1 ^= s0;
    st->s0 = fxp_rotl64(s0, 24) ^ s1 ^ (s1 << 16);
    st->s1 = fxp_rotl64(s1, 37);
    return result;
}

/* The xoroshiro128+ states of the FXP_RNG_LANES streams of `block` (lane l: stream block*8+l). */
static inline void fxp_rng_block_seed(uint64_t key, uint64_t block,
                                      uint64_t s0[FXP_RNG_LANES], uint64_t s1[FXP_RNG_LANES])
{
    const uint64_t mkey = fxp_mix64(key);
    for (int l = 0; l < FXP_RNG_LANES; ++l) {
        uint64_t z = mkey ^ (block * FXP_RNG_LANES + (uint64_t)l);   /* fxp_stream_init, unrolled */
        s0[l] = fxp_splitmix64_next(&z);
        s1[l] = fxp_splitmix64_next(&z);
    }
}

/* Fill out[0..n) (n <= FXP_RNG_BLOCK) with the words of elements block*FXP_RNG_BLOCK + p,
 * p = 0..n-1, following the stream rule.  Written as 8-wide lane loops so compilers
 * vectorise it; every build computes the same bits (integer arithmetic only). */
static inline void fxp_rng_block_fill(uint64_t key, uint64_t block, uint64_t *out, int64_t n)
{
    uint64_t s0[FXP_RNG_LANES], s1[FXP_RNG_LANES];
    fxp_rng_block_seed(key, block, s0, s1);
    int64_t p = 0;
    for (; p + FXP_RNG_LANES <= n; p += FXP_RNG_LANES) {
        for (int l = 0; l < FXP_RNG_LANES; ++l) {
            const uint64_t a = s0[l];
            uint64_t b = s1[l];
            out[p + l] = a + b;
            b ^= a;
            s0[l] = fxp_rotl64(a, 24) ^ b ^ (b << 16);
            s1[l] = fxp_rotl64(b, 37);
        }
    }
    for (int l = 0; p + l < n; ++l)
        out[p + l] = s0[l] + s1[l];
}

#endif /* FXP_RNG_H */
