"""Stochastic gradient descent whose updates are written in the policy's ``updates`` role."""
from __future__ import annotations


class SGD:
    """Mini-batch SGD with optional momentum and weight decay.

    The step ``u = lr * (grad + weight_decay * w)`` (plus ``momentum * u_prev``)
    is computed from the exact values (plain SGD: an exact fixed-point product with
    ``lr``; with momentum or weight decay: in float64) and written once in the
    ``updates`` role (this is where round-to-nearest loses updates smaller than
    half an LSB and stochastic rounding keeps them in expectation), and then
    ``w - u`` is written in the parameter's role (saturating).

    Parameters
    ----------
    model : Sequential
    lr : float
    momentum : float, default 0
    weight_decay : float, default 0
    """

    def __init__(self, model, lr, momentum=0.0, weight_decay=0.0):
        if not lr > 0:
            raise ValueError(f"lr must be positive, got {lr!r}")
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        if weight_decay < 0:
            raise ValueError(f"weight_decay must be >= 0, got {weight_decay!r}")
        self.model = model
        self.lr = float(lr)
        self.momentum = float(momentum)
        self.weight_decay = float(weight_decay)
        self.velocity = {}

    def step(self):
        """Apply one update to every parameter that has a gradient."""
        for i, layer in enumerate(self.model.layers):
            num = self.model.numerics(i)
            for j, p in enumerate(layer.parameters()):
                if p.grad is None:
                    continue
                if self.weight_decay or self.momentum:
                    update = num.to_role(self._step(num, p, self.velocity.get((i, j))), "updates")
                else:
                    update = num.scale(p.grad, self.lr, "updates")
                if self.momentum:
                    self.velocity[(i, j)] = update
                p.value = num.subtract(p.value, update, p.role)
                p.grad = None

    def state_dict(self):
        """The momentum buffers, ``{"velocity": {"layer.param": tensor}}`` (saved in checkpoints)."""
        return {"velocity": {f"{i}.{j}": v for (i, j), v in self.velocity.items()}}

    def load_state_dict(self, state):
        """Restore :meth:`state_dict`'s momentum buffers."""
        if "velocity" not in state:
            raise KeyError("optimizer state has no 'velocity' entry")
        self.velocity = {tuple(int(n) for n in key.split(".")): v for key, v in state["velocity"].items()}

    def _step(self, num, p, previous):
        """``lr * (grad + weight_decay * w) + momentum * previous`` in float64 (exact inputs)."""
        step = self.lr * num.to_float(p.grad)
        if self.weight_decay:
            step = step + (self.lr * self.weight_decay) * num.to_float(p.value)
        if previous is not None:
            step = step + self.momentum * num.to_float(previous)
        return step
