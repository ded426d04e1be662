"""Training steps pinned bit for bit: speed work on fxp_nn must not change a single result.

Each case runs a few SGD steps from fixed seeds and hashes the parameters, the losses, the
saturation counts and the next key of the stochastic-rounding generator (which pins how many
keys the step drew). The digests were recorded with the implementation of 2026-11-22 before the
speed changes (branch nn2); a deliberate change of results must update them, say why here and
in ``docs/nn.md``. Print fresh digests with ``python tests/test_nn_pinned.py``.
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
    "lenet-gupta-sr14": lambda: (lenet((1, 16, 16), 4, policy=PrecisionPolicy.gupta(), seed=4), {"momentum": 0.5}),
}

# (parameters + losses + next RNG key, saturation report). The saturation digests of the two
# Flatten-first MLPs changed once, deliberately: the first Linear's input gradient is no longer
# computed, so its unused "errors" write left the report (old: 7ec374cb..., da05e34e...).
DIGESTS = {
    "mlp-gupta-sr14": ("8552b6959083a19f54b438b224fb4445399cb813ca81895c55c50b34f193cf01",
                       "ead0aa4b68d502accdcc208a05427ee3b477a42b03384a181ea97651c402b07b"),
    "mlp-rn10-momentum-decay": ("35f2473efb064cedcbc557d459a738738d7dd2df039ebc6cdfe7e683fe8f43e1",
                                "9cb7d9c1d3feef9d609991a5d1ffc2ea39018dde9187f1ef6a7b067a59fef75e"),
    "lenet-sr12-bounded-acc": ("00d2722ca8fdd78fff9e450dc953b06f7a218c868ce7bb09530d597cf293f512",
                               "ed2a3f23ea2b16980dedfd274a63054ae6a19559d6cee1203ef2f36acb713591"),
    "mlp-float-layer-then-fixed": ("cbf26457555a465ae7fc85b25545b00d6c7e62089c3bcbdf25dedad055f7ed42",
                                   "55d62cf810e124239a2bde4b05f8155e3e5ce4551ae9b14a490d72353924e1eb"),
    "lenet-gupta-sr14": ("e1a3ca69d31ff7e3cfdb53a1d3f0020f55c55963f139b4e8666a337ab7f55c22",
                         "a31adda6ab8bcfbc4ec76d5109dda88802abaafb0b6383a16630a075d01a5c4c"),
}


def run_digest(name, steps=3):
    """SHA-256 digests of the state and of the saturation report after ``steps`` SGD steps of ``name``."""
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
    h.update(fxp.random.draw_key(model.rng).to_bytes(8, "little"))
    return h.hexdigest(), hashlib.sha256(repr(model.saturation.report()).encode()).hexdigest()


@pytest.mark.parametrize("name", sorted(CASES))
def test_training_steps_are_bit_identical_to_the_pinned_run(name):
    assert run_digest(name) == DIGESTS[name]


if __name__ == "__main__":
    for case in CASES:
        print(f'    "{case}": {run_digest(case)},', file=sys.stdout)
