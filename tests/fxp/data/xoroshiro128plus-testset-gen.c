/* Writes tests/fxp/data/xoroshiro128plus-testset.csv from the upstream reference algorithms:
 * xoroshiro128+ 1.0 (xoroshiro128plus.c) and splitmix64 (splitmix64.c) by David Blackman and
 * Sebastiano Vigna, public domain, copied below with their state made a parameter.  On top of
 * them, the two ways fxp uses the generator:
 *   seed rows:    fxp.random.Xoroshiro128Plus(seed) starts from two consecutive splitmix64
 *                 outputs of state `seed`; the row is its raw output #index.
 *   element rows: the stochastic-rounding word of flat element #index of an operation keyed by
 *                 `key` (docs/core.md): element i of block b = i / 1024 at position p takes
 *                 word p / 8 of stream b * 8 + p % 8, whose state is two splitmix64 outputs of
 *                 state splitmix64_mix(key) ^ stream.
 * Regenerate:  cc -O2 -o testset-gen tests/fxp/data/xoroshiro128plus-testset-gen.c &&
 *              ./testset-gen > tests/fxp/data/xoroshiro128plus-testset.csv
 * (tests/fxp/test_random.py compiles and runs it and compares with the committed file). */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

/* ---- upstream: splitmix64.c ---- */
static uint64_t splitmix64_next(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return z ^ (z >> 31);
}

/* ---- upstream: xoroshiro128plus.c ---- */
static inline uint64_t rotl(const uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t xoroshiro128plus_next(uint64_t s[2])
{
    const uint64_t s0 = s[0];
    uint64_t s1 = s[1];
    const uint64_t result = s0 + s1;
    s1 ^= s0;
    s[0] = rotl(s0, 24) ^ s1 ^ (s1 << 16); /* a, b */
    s[1] = rotl(s1, 37);                   /* c */
    return result;
}

/* ---- fxp's seeding and stream rule ---- */
static void seed_state(uint64_t x, uint64_t s[2])
{
    s[0] = splitmix64_next(&x);
    s[1] = splitmix64_next(&x);
}

/* splitmix64's output function alone: splitmix64_next of state z - gamma */
static uint64_t splitmix64_mix(uint64_t z)
{
    z -= 0x9e3779b97f4a7c15;
    return splitmix64_next(&z);
}

static uint64_t element_word(uint64_t key, uint64_t index)
{
    const uint64_t block = index / 1024, pos = index % 1024;
    uint64_t s[2];
    seed_state(splitmix64_mix(key) ^ (block * 8 + pos % 8), s);
    uint64_t word = 0;
    for (uint64_t k = 0; k <= pos / 8; ++k) word = xoroshiro128plus_next(s);
    return word;
}

int main(void)
{
    static const uint64_t seeds[] = {0, 1, 42, UINT64_MAX};
    static const uint64_t keys[] = {0, 0x0123456789abcdef};
    static const uint64_t indices[] = {0,  1,  2,  3,  4,  5,  6,  7,  8,    9,    10,   11,   12,
                                       13, 14, 15, 16, 17, 18, 19, 1023, 1024, 1025, 2047, 2048, 2099};
    printf("# kind,seed_or_key,index,word  (seed: Xoroshiro128Plus(seed) raw output #index; element: "
           "stream-rule word of flat element #index)\n");
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; ++i) {
        uint64_t s[2];
        seed_state(seeds[i], s);
        for (int k = 0; k < 16; ++k)
            printf("seed,%" PRIu64 ",%d,%" PRIu64 "\n", seeds[i], k, xoroshiro128plus_next(s));
    }
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; ++i)
        for (size_t j = 0; j < sizeof indices / sizeof indices[0]; ++j)
            printf("element,%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n", keys[i], indices[j],
                   element_word(keys[i], indices[j]));
    return 0;
}
