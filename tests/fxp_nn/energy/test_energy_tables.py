"""Energy table: Horowitz 45 nm values exactly, bit-width scaling rules, node scaling."""
import pytest
from hypothesis import given, strategies as st

from fxp_nn.energy import HOROWITZ_45NM as T
from fxp_nn.energy import node_energy_factor


@pytest.mark.parametrize("bits, pj", [(8, 0.03), (16, 0.05), (32, 0.1)])
def test_horowitz_int_add_exact(bits, pj):
    assert T.add(bits).pj == pj
    assert T.add(bits).source == "H1"


@pytest.mark.parametrize("bits, pj", [(8, 0.2), (32, 3.1)])
def test_horowitz_int_mult_exact(bits, pj):
    assert T.mult(bits, bits).pj == pj


@pytest.mark.parametrize("kind, add, mult", [("float16", 0.4, 1.1), ("float32", 0.9, 3.7)])
def test_horowitz_float_exact(kind, add, mult):
    assert T.float_add(kind).pj == add
    assert T.float_mult(kind).pj == mult


@pytest.mark.parametrize("kib, pj", [(8, 10.0), (32, 20.0), (1024, 100.0)])
def test_horowitz_sram_64bit_exact(kib, pj):
    assert T.sram(64, kib * 1024).pj == pytest.approx(pj, rel=1e-12)


def test_sram_64kb_log_interpolated():
    # 32 kB -> 1 MB log-log: 20 * 2 ** (ln 5 / ln 32) = 27.59 pJ per 64-bit access
    assert T.sram(64, 64 * 1024).pj == pytest.approx(27.59, abs=0.01)
    assert T.sram(16, 64 * 1024).pj == pytest.approx(T.sram(64, 64 * 1024).pj / 4)


@pytest.mark.parametrize("bits", [4, 8, 16])
def test_multiplier_about_4x_per_width_doubling(bits):
    ratio = T.mult(2 * bits, 2 * bits).pj / T.mult(bits, bits).pj
    assert 3.5 <= ratio <= 4.5


def test_multiplier_scales_with_product_of_widths():
    assert T.mult(8, 32).pj == T.mult(16, 16).pj
    assert T.mult(4, 8).pj == pytest.approx(T.mult(8, 8).pj / 2)


@pytest.mark.parametrize("bits", [4, 8, 16, 32])
def test_adder_about_2x_per_width_doubling(bits):
    ratio = T.add(2 * bits).pj / T.add(bits).pj
    assert 1.6 <= ratio <= 2.05


@given(st.integers(1, 63), st.integers(1, 63), st.integers(1, 63))
def test_energy_never_falls_as_bits_rise(a, b, extra):
    assert T.mult(a + 1, b).pj >= T.mult(a, b).pj
    assert T.mult(a, b + 1).pj >= T.mult(a, b).pj
    assert T.add(a + extra).pj >= T.add(a).pj
    assert T.register(a + extra).pj >= T.register(a).pj
    assert T.sram(a + extra, 65536).pj >= T.sram(a, 65536).pj


def test_register_linear_in_bits():
    assert T.register(16).pj == pytest.approx(2 * T.register(8).pj)
    assert T.register(8).pj == pytest.approx(0.083)


@pytest.mark.parametrize("node, factor", [(130, 3.07), (90, 1.90), (65, 1.24), (32, 0.66),
                                          (16, 0.17), (14, 0.14), (10, 0.12), (7, 0.094)])
def test_stillmaker_baas_factors(node, factor):
    assert node_energy_factor(node) == pytest.approx(factor, abs=0.006)
    assert node_energy_factor(45) == 1.0


def test_scaled_table_scales_logic_and_sram():
    t7 = T.scaled_to(7)
    f = node_energy_factor(7)
    assert t7.mult(8, 8).pj == pytest.approx(0.2 * f)
    assert t7.sram(64, 8192).pj == pytest.approx(10 * f)
    assert t7.mult(8, 8).source == "H1, x0.0943 node scaling SB"


@pytest.mark.parametrize("call, match", [
    (lambda: T.add(0), "bit width"), (lambda: T.mult(8, 200), "bit width"),
    (lambda: T.add(8.5), "bit width"), (lambda: T.float_add("float8"), "float8"),
    (lambda: T.sram(8, 0), "capacity"), (lambda: node_energy_factor(-3), "positive")])
def test_bad_input_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
