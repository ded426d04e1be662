"""Softmax cross-entropy, computed in float64 from the logits' exact values.

The loss is the network's read-out, not a stored tensor: its gradient leaves
as float64 and the last layer writes it in its ``errors`` role.
"""
from __future__ import annotations

import numpy as np


def _log_softmax(logits):
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


class SoftmaxCrossEntropy:
    """Mean softmax cross-entropy over a batch.

    Examples
    --------
    >>> loss_fn = SoftmaxCrossEntropy()
    >>> loss = loss_fn.forward(np.zeros((2, 4)), np.array([0, 3]))
    >>> round(loss, 4), loss_fn.backward().shape
    (1.3863, (2, 4))
    """

    def forward(self, logits, labels):
        """Loss (a Python float) of float logits (N, K) against int labels (N,)."""
        logits = np.asarray(logits, dtype=np.float64)
        labels = np.asarray(labels)
        if logits.ndim != 2 or labels.shape != (logits.shape[0],):
            raise ValueError(f"logits must be (N, K) and labels (N,), got {logits.shape} and {labels.shape}")
        if labels.min() < 0 or labels.max() >= logits.shape[1]:
            raise ValueError(f"labels must lie in [0, {logits.shape[1]}), got [{labels.min()}, {labels.max()}]")
        logp = _log_softmax(logits)
        self._probs = np.exp(logp)
        self._labels = labels
        return float(-logp[np.arange(len(labels)), labels].mean())

    def backward(self):
        """d(loss)/d(logits) = (softmax - onehot) / N, float64."""
        grad = self._probs.copy()
        grad[np.arange(len(self._labels)), self._labels] -= 1.0
        return grad / len(self._labels)
