"""The xoroshiro128+ generator, its numpy BitGenerator wrapper and the stochastic stream rule."""
import csv
import pickle
from pathlib import Path

import numpy as np
import pytest

import fxp
import fxp.random
from fxp._kernels._random import element_words
from fxp._reference import Xoroshiro128Plus, element_words as ref_element_words

TESTSET = Path(__file__).parent / "data" / "xoroshiro128plus-testset.csv"


def _testset():
    with open(TESTSET) as fh:
        rows = [r for r in csv.reader(line for line in fh if not line.startswith("#"))]
    return [(kind, int(a), int(i), int(w)) for kind, a, i, w in rows]


def test_reference_follows_the_published_algorithm():
    # xoroshiro128+ from state (1, 2), stepped by hand from Blackman & Vigna's code
    g = Xoroshiro128Plus(1, 2)
    assert g.next() == 3
    assert g.next() == 0x6001030003


@pytest.mark.parametrize("impl", ["cython", "reference"])
def test_known_answer_vectors(impl):
    rows = _testset()
    for seed in {a for kind, a, _, _ in rows if kind == "seed"}:
        expected = [w for kind, a, _, w in rows if kind == "seed" and a == seed]
        if impl == "cython":
            got = fxp.random.Xorshift(seed).random_raw(len(expected)).tolist()
        else:
            g = Xoroshiro128Plus.seeded(seed)
            got = [g.next() for _ in expected]
        assert got == expected
    for key in {a for kind, a, _, _ in rows if kind == "element"}:
        cases = [(i, w) for kind, a, i, w in rows if kind == "element" and a == key]
        n = max(i for i, _ in cases) + 1
        words = element_words(key, 0, n) if impl == "cython" else ref_element_words(key, n)
        assert [int(words[i]) for i, _ in cases] == [w for _, w in cases]


def test_element_words_any_window_matches_the_rule():
    key = 987654321
    full = element_words(key, 0, 5000)
    assert full.tolist() == ref_element_words(key, 5000)
    for start, n in [(0, 0), (1, 7), (1020, 10), (1024, 1024), (3071, 1929)]:
        np.testing.assert_array_equal(element_words(key, start, n), full[start:start + n])


def test_numpy_generator_and_pickle():
    g = np.random.Generator(fxp.random.Xorshift(7))
    x = g.random(1000)
    assert 0.0 <= x.min() and x.max() < 1.0 and abs(x.mean() - 0.5) < 0.05
    bg = fxp.random.Xorshift(3)
    bg.random_raw(5)
    clone = pickle.loads(pickle.dumps(bg))
    assert clone.random_raw(4).tolist() == bg.random_raw(4).tolist()
    state = bg.state
    first = bg.random_raw(3)
    bg.state = state
    np.testing.assert_array_equal(bg.random_raw(3), first)


def test_bad_seeds_and_states():
    with pytest.raises(ValueError, match="seed"):
        fxp.random.Xorshift(-1)
    with pytest.raises(TypeError, match="seed"):
        fxp.random.Xorshift(1.5)
    with pytest.raises(ValueError, match="all-zero"):
        fxp.random.Xorshift(1).state = {"bit_generator": "Xorshift", "state": {"s0": 0, "s1": 0}}


def test_global_seed_and_rng_normalisation():
    fxp.random.seed(5)
    k1 = fxp.random.draw_key()
    fxp.random.seed(5)
    assert fxp.random.draw_key() == k1
    assert fxp.random.draw_key(11) == fxp.random.draw_key(11)
    assert fxp.random.draw_key(np.random.default_rng(0)) == fxp.random.draw_key(np.random.default_rng(0))
    # and the key is the generator's first word: an int seeds an Xorshift, a Generator gives its BitGenerator
    assert fxp.random.draw_key(11) == Xoroshiro128Plus.seeded(11).next()
    assert fxp.random.draw_key(np.random.default_rng(0)) == int(np.random.default_rng(0).bit_generator.random_raw())
    assert fxp.random.draw_key(np.random.PCG64(3)) == int(np.random.PCG64(3).random_raw())
    with pytest.raises(TypeError, match="rng"):
        fxp.random.draw_key("abc")


def test_get_generator_snapshots_the_global_stream():
    fxp.random.seed(8)
    g = fxp.random.get_generator()
    assert isinstance(g, fxp.random.Xorshift)
    saved = g.state
    x = np.linspace(-1, 1, 2000)
    first = fxp.asarray(x, "s8.4", "stochastic")          # rng=None: one key from the global generator
    fxp.random.get_generator().state = saved
    np.testing.assert_array_equal(fxp.asarray(x, "s8.4", "stochastic").raw, first.raw)
    fxp.random.seed(8)
    assert fxp.random.get_generator() is not g             # seed() installs a new generator


def test_seed_sequences_and_spawn():
    ss = np.random.SeedSequence(4)
    a = fxp.random.Xorshift(ss).random_raw(3)
    b = fxp.random.Xorshift(np.random.SeedSequence(4)).random_raw(3)
    np.testing.assert_array_equal(a, b)
    children = np.random.Generator(fxp.random.Xorshift(1)).spawn(2)
    assert children[0].random() != children[1].random()


def test_xorshift_is_an_alias_and_old_states_load():
    assert fxp.random.Xorshift is fxp.random.Xoroshiro128Plus
    g = fxp.random.Xoroshiro128Plus(5)
    state = g.state
    assert state["bit_generator"] == "Xoroshiro128Plus"
    h = fxp.random.Xoroshiro128Plus(0)
    h.state = dict(state, bit_generator="Xorshift")   # a checkpoint written under the earlier name
    assert h.random_raw() == g.random_raw()


def test_known_answer_vectors_regenerate_from_the_upstream_algorithm(tmp_path):
    """tests/fxp/data/xoroshiro128plus-testset-gen.c (the upstream xoroshiro128+ and splitmix64
    code plus fxp's seeding and stream rule) writes the committed vectors byte for byte."""
    import subprocess
    import sysconfig

    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]   # the compiler that built fxp
    exe = tmp_path / "testset-gen"
    subprocess.run([cc, "-O2", "-o", str(exe), str(TESTSET.with_name("xoroshiro128plus-testset-gen.c"))],
                   check=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True).stdout
    assert out == TESTSET.read_bytes()
