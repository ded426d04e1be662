"""PrecisionPolicy: presets, validation, per-GEMM accumulators."""
import pytest

import fxp
from fxp_nn import Accumulator, PrecisionPolicy, TensorPrecision


def test_gupta_preset():
    p = PrecisionPolicy.gupta()
    for role in ("weights", "biases", "activations", "errors", "weight_grads", "updates"):
        spec = p.role(role)
        assert (spec.fmt, spec.rounding, spec.overflow) == (fxp.Format(16, 14), "stochastic", "saturate")
    assert p.acc_bits is None and p.accumulator("forward") == Accumulator(None, "saturate")
    assert not p.is_float and PrecisionPolicy.float32().is_float
    assert PrecisionPolicy.float32().weights.fmt is None


def test_per_gemm_accumulator_override():
    p = PrecisionPolicy.gupta().replace(acc_bits=32, gemm_accumulators={"weight_grad": Accumulator(24, "wrap")})
    assert p.accumulator("forward") == Accumulator(32, "saturate")
    assert p.accumulator("weight_grad") == Accumulator(24, "wrap")


def test_role_from_strings():
    spec = TensorPrecision("s12.8", fxp.Rounding.FLOOR, "wrap")
    assert spec.fmt == fxp.Format(12, 8) and spec.rounding == "floor" and spec.overflow == "wrap"
    assert str(spec) == "s12.8 floor wrap"


@pytest.mark.parametrize("make,message", [
    (lambda: PrecisionPolicy.gupta().replace(errors=TensorPrecision(None)), "all floating point or all fixed"),
    (lambda: PrecisionPolicy.gupta().replace(gemm_accumulators={"backward": Accumulator(16)}), "unknown GEMM"),
    (lambda: TensorPrecision("s16.14", "up"), "unknown rounding|'up' is not a valid"),
    (lambda: TensorPrecision(None, float_dtype="float16"), "float_dtype"),
    (lambda: PrecisionPolicy.gupta().role("gradients"), "unknown tensor role"),
])
def test_bad_policies_are_rejected(make, message):
    with pytest.raises(ValueError, match=message):
        make()
