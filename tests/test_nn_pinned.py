"""Training steps pinned bit for bit: speed work on fxp_nn must not change a single result.

Each case runs a few SGD steps from fixed seeds and hashes the parameters, the losses, the
saturation counts and the next key of the stochastic-rounding generator (which pins how many
keys the step drew). The digests were recorded with the implementation of 2026-11-22 before the
speed changes (branch nn2); a deliberate change of results must update them and say why in
``docs/nn.md``. Print fresh digests with ``python tests/test_nn_pinned.py``.
"""
import hashlib
import sys

import numpy as np
import pytest

import fxp
import fxp.random
from fxp_nn import SGD, PrecisionPolicy, SoftmaxCrossEntropy, lenet, mlp


def _mixed():
    model = mlp([64, 24, 16, 10], policy=PrecisionPolicy.gupta(16, 12, "stochastic"), seed=3)
    model.layers[1].policy = PrecisionPolicy.float32()
    return model, {}


CASES = {
    # Gupta's setting; 2 integer bits make some logits saturate (blocked gradients, counts)
    "mlp-gupta-sr14": lambda: (mlp([64, 32, 16, 10], policy=PrecisionPolicy.gupta(), seed=0), {}),
    "mlp-rn10-momentum-decay": lambda: (mlp([64, 32, 10], policy=PrecisionPolicy.gupta(16, 10, "nearest_even"),
                                            seed=1), {"momentum": 0.9, "weight_decay": 1e-3}),
    "lenet-sr12-bounded-acc": lambda: (lenet((1, 16, 16), 4, policy=PrecisionPolicy.fixed(16, 12, acc_bits=24),
                                             seed=2), {}),
    "mlp-float-layer-then-fixed": _mixed,
}

DIGESTS = {
    "mlp-gupta-sr14": "903a18e8ebbf3abf9df86e02b5a793d89b2957634196a360c881c0bc778ef4bb",
    "mlp-rn10-momentum-decay": "354af7a5bc4cd78101f903e4a627fd012b65ab177bc324fda011d3fea28cdacb",
    "lenet-sr12-bounded-acc": "7cd01825c64bf5d3009729d47a77175ace8f21a2805129dd73ac8f1e10a29367",
    "mlp-float-layer-then-fixed": "da9a31770b1428a9ef8c7426e51c8d0072ce6f5078ac36790cffc87530f1301b",
}


def run_digest(name, steps=3):
    """SHA-256 of the state after ``steps`` SGD steps of case ``name``."""
    model, sgd_kwargs = CASES[name]()
    model.rng = fxp.random.Xorshift(7)
    optimizer = SGD(model, 0.05, **sgd_kwargs)
    loss_fn = SoftmaxCrossEntropy()
    shape = (8, 1, 16, 16) if name.startswith("lenet") else (8, 64)
    data = np.random.default_rng(5)
    h = hashlib.sha256()
    for _ in range(steps):
        x = data.normal(0.5, 1.0, shape).astype(np.float32)
        y = data.integers(0, model.output_shape(shape[1:])[0], shape[0])
        loss = loss_fn.forward(np.asarray(model.forward(x), dtype=np.float64), y)
        model.backward(loss_fn.backward())
        optimizer.step()
        h.update(np.float64(loss).tobytes())
    for p in model.parameters():
        if isinstance(p.value, fxp.FxpArray):  # float32 layers' BLAS results may vary by CPU
            h.update(np.ascontiguousarray(p.value.raw).tobytes())
    h.update(repr(model.saturation.report()).encode())
    h.update(fxp.random.draw_key(model.rng).to_bytes(8, "little"))
    return h.hexdigest()


@pytest.mark.parametrize("name", sorted(CASES))
def test_training_steps_are_bit_identical_to_the_pinned_run(name):
    assert run_digest(name) == DIGESTS[name]


if __name__ == "__main__":
    for case in CASES:
        print(f'    "{case}": "{run_digest(case)}",', file=sys.stdout)
