"""fxp.analysis: worst-case bits, overflow probability, reconstructed VRR vs emulation."""
import itertools
import math

import numpy as np
import pytest

import fxp
from fxp import analysis


@pytest.mark.parametrize("fa, fb", [("s8.4", "s8.4"), ("u8.0", "s4.2"), ("s16.12", "u3.1"), ("s1.0", "s1.0")])
@pytest.mark.parametrize("k", [0, 1, 2, 3, 7, 64])
def test_worst_case_bits_is_tight(fa, fb, k):
    fa, fb = fxp.Format.parse(fa), fxp.Format.parse(fb)
    bits = analysis.worst_case_acc_bits(fa, fb, k)
    extremes = [k * x * y for x, y in itertools.product((fa.min_raw, fa.max_raw), (fb.min_raw, fb.max_raw))]
    fits = lambda w: all(-(1 << (w - 1)) <= e <= (1 << (w - 1)) - 1 for e in extremes)
    assert fits(bits) and (bits == 1 or not fits(bits - 1))


def test_worst_case_bits_never_saturate_in_gemm():
    a = fxp.full((3, 50), "s8.4", -8.0)
    bits = analysis.worst_case_acc_bits(a.fmt, a.fmt, 50)
    with fxp.count_overflows() as ovf:
        r = fxp.matmul(a, a.T, out_format="s32.8", acc_bits=bits)
    assert ovf.saturated == 0 and (r.to_float() == 64.0 * 50).all()


def test_overflow_probability_matches_gemm():
    # sigma_s = sqrt(k) sigma_p: bound at 1 sigma; reflection-principle estimate 4 Q(1)
    p_model = analysis.overflow_probability(1024, 1.0, 30, 24)
    p_final = analysis.overflow_probability(1024, 1.0, 30, 24, mid_sum=False)
    p_emp = analysis.empirical_overflow_rate(1024, 1.0, 1.0, "s16.12", "s16.12", 30, n_outputs=2048)
    assert p_final < p_model
    assert abs(p_emp - p_model) < 0.08
    assert analysis.overflow_probability(0, 1.0, 8, 0) == 0.0


def test_empirical_overflow_rate_takes_unsigned_31_bit_operands():
    """u17..u31 operands (uint32 storage) give the reference's rate (they raised TypeError)."""
    from fxp._reference_gemm import accumulate_reference
    rate = analysis.empirical_overflow_rate(64, 8.0, 2.0, "u31.12", "s16.12", 28, n_outputs=128, seed=3)
    rng = np.random.default_rng(3)        # the operands the docstring describes
    a = fxp.asarray(rng.normal(0.0, 8.0, (2, 64)), "u31.12")
    b = fxp.asarray(rng.normal(0.0, 2.0, (64, 64)), "s16.12")
    _, hit = accumulate_reference(a.raw.astype(np.int64), b.raw.astype(np.int64), 28)
    assert 0 < rate == hit.mean()
    with pytest.raises(ValueError, match="use at most u31"):
        analysis.empirical_overflow_rate(64, 8.0, 2.0, "u32.12", "s16.12", 28)


@pytest.mark.parametrize("n, m_acc", [(64, 6), (300, 7)])
def test_per_term_vrr_matches_its_emulation(n, m_acc):
    model = analysis.vrr(n, m_acc, 5)
    exact_norm = analysis.empirical_vrr(n, m_acc, 5, n_trials=4000, normalize="exact")
    real_adder = analysis.empirical_vrr(n, m_acc, 5, n_trials=1500)
    assert abs(model - exact_norm) < 0.004     # ratio-estimator noise ~0.002 here
    assert real_adder < exact_norm                 # truncating the sum loses more


def test_vrr_properties():
    values = [analysis.vrr(576, m, 5) for m in range(5, 12)]
    assert all(x <= y + 1e-12 for x, y in zip(values, values[1:])) and values[-1] > 0.999
    assert analysis.vrr(1, 3, 5) == 1.0
    long_plain = analysis.vrr(16384, 6, 5)
    long_chunked = analysis.vrr(16384, 6, 5, chunk=64)
    assert long_chunked > long_plain
    assert analysis.vrr(4096, 6, 5, nzr=0.25) == analysis.vrr(1024, 6, 5)
    # stagnation: 2**m_acc / sqrt(i) small -> large loss; closed form in (0, 1]
    assert 0.0 < analysis.vrr(4096, 3, 3, model="stagnation") < 0.5
    assert analysis.vrr(64, 10, 5, model="stagnation") == pytest.approx(1.0)


def test_min_acc_mantissa_meets_cutoff_tightly():
    for n in (64, 576, 4608):
        m = analysis.min_acc_mantissa(n, 5)
        assert n * (1 - analysis.vrr(n, m, 5)) < math.log(analysis.VRR_CUTOFF)
        assert n * (1 - analysis.vrr(n, m - 1, 5)) >= math.log(analysis.VRR_CUTOFF)
    assert analysis.min_acc_mantissa(4608, 5) >= analysis.min_acc_mantissa(576, 5)


def test_analysis_errors():
    with pytest.raises(ValueError, match="nzr"):
        analysis.vrr(10, 5, 5, nzr=0)
    with pytest.raises(ValueError, match="model"):
        analysis.vrr(10, 5, 5, model="paper")
    with pytest.raises(ValueError, match="n must"):
        analysis.vrr(0, 5, 5)
    with pytest.raises(ValueError, match="normalize"):
        analysis.empirical_vrr(10, 5, 5, normalize="round")
