"""fxp_nn: train neural networks with every tensor in fixed point, built on ``fxp``."""
