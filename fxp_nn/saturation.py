"""Saturation accounting: how many values of each tensor role of each layer hit the format bounds."""
from __future__ import annotations

from collections import defaultdict


def _zero_counts():
    return [0, 0]


class SaturationStats:
    """Counts of saturated and total elements per (layer, role), reset at every epoch."""

    def __init__(self):
        self._counts = defaultdict(_zero_counts)   # a named function, so that models pickle

    def record(self, layer, role, saturated, total):
        """Add ``saturated`` out of ``total`` written elements for ``layer``'s ``role``."""
        entry = self._counts[(layer, role)]
        entry[0] += int(saturated)
        entry[1] += int(total)

    def reset(self):
        """Forget all counts."""
        self._counts.clear()

    def report(self):
        """``{layer: {role: fraction saturated}}`` for every (layer, role) written so far."""
        out = {}
        for (layer, role), (sat, total) in sorted(self._counts.items()):
            out.setdefault(layer, {})[role] = sat / total if total else 0.0
        return out

    def table(self, threshold=0.0):
        """A printable table of the fractions above ``threshold`` (percent)."""
        lines = [f"{'layer':<16}{'role':<14}{'saturated':>12}"]
        for layer, roles in self.report().items():
            for role, frac in roles.items():
                if frac > threshold:
                    lines.append(f"{layer:<16}{role:<14}{100 * frac:>11.4f}%")
        return "\n".join(lines) if len(lines) > 1 else "no saturation"
