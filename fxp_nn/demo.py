"""The README demo: train the same MLP on scikit-learn's digits in float32 and in 16-bit fixed point.

Runs offline in a few seconds: ``python -m fxp_nn.demo``.
"""
from __future__ import annotations

import time

import fxp
import fxp.random

from .data import load_dataset
from .energy import estimate, precision_from_policy
from .model import mlp
from .optim import SGD
from .policy import PrecisionPolicy
from .training import fit

EPOCHS = 10
SEED = 0


def run(policy, data):
    """Train the demo MLP under ``policy``; returns (model, test accuracy, seconds, last epoch's record)."""
    model = mlp([64, 64, 10], policy=policy, seed=SEED)
    model.rng = fxp.random.Xoroshiro128Plus(SEED)
    model.n_threads = 1  # the GEMMs are tiny: threads would cost more than they save
    start = time.perf_counter()
    history = fit(model, SGD(model, lr=0.1, momentum=0.9), data, EPOCHS, batch_size=32, seed=SEED,
                  progress=False)
    return model, 1.0 - history[-1]["test_error"], time.perf_counter() - start, history[-1]


def main():
    """Print the float32 and fixed-point accuracies side by side."""
    data = load_dataset("digits")
    print(f"digits: {len(data.x_train)} train / {len(data.x_test)} test images (8x8), "
          f"MLP 64-64-10, SGD lr 0.1 momentum 0.9, batch 32, {EPOCHS} epochs")
    models = {}
    for policy in (PrecisionPolicy.float32(), PrecisionPolicy.gupta(16, 10, "stochastic"),
                   PrecisionPolicy.gupta(16, 14, "stochastic")):
        models[str(policy)], accuracy, seconds, last = run(policy, data)
        print(f"  {str(policy):<24} test accuracy {100 * accuracy:6.2f}%   "
              f"max saturated {100 * last['max_saturation']:6.3f}%   ({seconds:.1f} s)")
    print("  (FL=14 leaves 2 integer bits, range [-2, 2): the logits saturate, see the saturation report)")
    print("estimated accelerator energy of one training step (batch 32), fxp_nn.energy defaults:")
    for name, model in list(models.items())[:2]:
        report = estimate(model, precision=precision_from_policy(model.policy), phase="training",
                          input_shape=data.input_shape, batch_size=32)
        print(f"  {report.summary()}")


if __name__ == "__main__":
    main()
