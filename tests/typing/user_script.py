"""A user's script, type-checked by mypy in CI against fxp's annotations and stubs (and run by
tests/typing/test_user_script.py, so it stays a working program)."""
import numpy as np

import fxp
import fxp_nn
import fxp_nn.energy
from fxp import analysis

fmt: fxp.Format = fxp.Format(16, 12)
x: fxp.FxpArray = fxp.asarray(np.linspace(-1.0, 1.0, 8), fmt)
w = fxp.asarray(np.full(8, 0.3), "s16.12", rounding="stochastic", rng=1)
y: fxp.FxpArray = fxp.multiply(x, w, out_format=fmt)
with fxp.count_overflows() as ovf, fxp.config(overflow="saturate"):
    z = fxp.add(y, y, out_format="s8.6")
saturated: int = ovf.saturated
values: np.ndarray = z.to_float()

a = fxp.asarray(np.ones((4, 8)), "s8.4")
b = fxp.asarray(np.ones((8, 2)), "s8.4")
c = fxp.matmul(a, b, acc=fxp.Accumulator(16, "saturate"), rounding=fxp.Rounding.NEAREST_EVEN)
total = fxp.sum(c, axis=0)
bits: int = analysis.worst_case_acc_bits(a.fmt, b.fmt, 8)
key: int = fxp.random.draw_key(fxp.random.Xoroshiro128Plus(7))

policy = fxp_nn.PrecisionPolicy.gupta(16, 10, "stochastic")
model: fxp_nn.Sequential = fxp_nn.mlp([8, 4, 2], policy=policy)
report = fxp_nn.energy.estimate(model, input_shape=(8,), batch_size=4)
energy_j: float = report.total_energy_j

print(fmt, values.shape, saturated, total.fmt, bits, key, energy_j)
