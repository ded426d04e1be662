"""Speed of the energy model (run explicitly: see docs/energy.md).

python -m pytest bench/bench_energy.py --benchmark-only --benchmark-columns=min,median,mean,rounds
"""
from fxp_nn.energy import estimate, mlp_workload, sweep_word_length

MLP = mlp_workload([784, 1000, 1000, 10], batch_size=64)


def test_training_step_estimate_mlp(benchmark):
    """Full training step (forward, input-gradient, weight-gradient GEMMs, update); goal < 10 ms."""
    report = benchmark(estimate, MLP, None, "fixed16_sr", "training")
    assert report.macs == 294_272_000


def test_word_length_sweep(benchmark):
    """29 word lengths (4..32 bits) x 3 rounding modes of the training step; goal < 1 s."""
    rows = benchmark.pedantic(sweep_word_length, args=(MLP,), rounds=5, iterations=1)
    assert len(rows) == 87
