"""numpy's product functions on the bounded-accumulator GEMM, with the exact default format of
``a @ b``: ``np.dot``, ``np.vdot``, ``np.inner``, ``np.outer`` and the ``np.einsum`` subscripts
that are a batched matrix product (GEMM-shaped, elementwise, sums of one operand)."""
from __future__ import annotations

import numpy as np

from ._array import FxpArray, arithmetic, coerce_operands, product


def _operands(a, b):
    if not (isinstance(a, FxpArray) and isinstance(b, FxpArray)):
        a, b = coerce_operands(a, b)
    return a, b


def dot(a, b):
    """``np.dot``: ``a @ b`` for 1-D and 2-D operands, a product with scalars, and for N-D
    operands the sum over ``a``'s last axis and ``b``'s second-to-last."""
    a, b = _operands(a, b)
    if a.ndim == 0 or b.ndim == 0:
        return arithmetic("multiply", a, b)
    if b.ndim <= 2 and a.ndim <= 2 or b.ndim == 1:
        return product(a, b)
    k = a.shape[-1]
    bm = np.moveaxis(b.raw, -2, 0)
    flat_b = FxpArray(np.ascontiguousarray(bm.reshape(k, -1)), b.fmt)
    out = product(a.reshape(-1, k), flat_b)
    return out.reshape(a.shape[:-1] + bm.shape[1:])


def vdot(a, b):
    """``np.vdot``: the dot product of the flattened operands."""
    a, b = _operands(a, b)
    return product(a.ravel(), b.ravel())


def inner(a, b):
    """``np.inner``: sums over the last axes of both operands."""
    a, b = _operands(a, b)
    if a.ndim == 0 or b.ndim == 0:
        return arithmetic("multiply", a, b)
    k = a.shape[-1]
    out = product(a.reshape(-1, k), b.reshape(-1, k).T)
    return out.reshape(a.shape[:-1] + b.shape[:-1])


def outer(a, b):
    """``np.outer``: every product of the flattened operands (the format of ``a * b``)."""
    a, b = _operands(a, b)
    return arithmetic("multiply", a.reshape(-1, 1), b.reshape(1, -1))


def _parse(subscripts, n_operands):
    if "." in subscripts:
        raise NotImplementedError("np.einsum with '...' is not supported on FxpArrays; "
                                  "reshape the operands first")
    spec = subscripts.replace(" ", "")
    inputs, arrow, output = spec.partition("->")
    inputs = inputs.split(",")
    if len(inputs) != n_operands:
        raise ValueError(f"np.einsum: {len(inputs)} subscripts for {n_operands} operands")
    if not arrow:
        letters = "".join(inputs)
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    for term in inputs + [output]:
        if len(set(term)) != len(term) or not term.isalpha() and term:
            raise NotImplementedError(f"np.einsum {subscripts!r}: repeated or non-letter subscripts "
                                      "(diagonals, traces) are not supported on FxpArrays")
    if set(output) - set("".join(inputs)):
        raise ValueError(f"np.einsum {subscripts!r}: output subscripts not in the inputs")
    return inputs, output


def einsum(subscripts, *operands, out=None, optimize=False, **kwargs):
    """``np.einsum`` for one operand (sums and transposes) and two operands without repeated
    subscripts (a batched matrix product: batch, free and contracted letters), exact in the
    default format of ``a @ b``; other subscripts raise ``NotImplementedError``."""
    if kwargs:
        raise TypeError(f"np.einsum: {sorted(kwargs)} not supported with FxpArrays")
    if not isinstance(subscripts, str):
        raise NotImplementedError("np.einsum on FxpArrays takes the subscripts as a string")
    inputs, output = _parse(subscripts, len(operands))
    if len(operands) == 1:
        (a,), (term,) = operands, inputs
        summed = tuple(i for i, c in enumerate(term) if c not in output)
        kept = [c for c in term if c in output]
        a = a.sum(axis=summed) if summed else a
        return a.transpose([kept.index(c) for c in output])
    if len(operands) != 2:
        raise NotImplementedError("np.einsum on FxpArrays takes one or two operands")
    a, b = _operands(*operands)
    ta, tb = inputs
    if len(ta) != a.ndim or len(tb) != b.ndim:
        raise ValueError(f"np.einsum {subscripts!r}: subscripts do not match the operands' dimensions")
    only_a = [c for c in ta if c not in tb and c not in output]
    only_b = [c for c in tb if c not in ta and c not in output]
    if only_a or only_b:      # letters summed within one operand: sum them first (exact)
        a = a.sum(axis=tuple(ta.index(c) for c in only_a)) if only_a else a
        b = b.sum(axis=tuple(tb.index(c) for c in only_b)) if only_b else b
        ta, tb = "".join(c for c in ta if c not in only_a), "".join(c for c in tb if c not in only_b)
    batch = [c for c in ta if c in tb and c in output]
    contracted = [c for c in ta if c in tb and c not in output]
    free_a = [c for c in ta if c not in tb]
    free_b = [c for c in tb if c not in ta]
    size = dict(zip(ta, a.shape)) | dict(zip(tb, b.shape))
    for c in set(ta) & set(tb):
        if a.shape[ta.index(c)] != b.shape[tb.index(c)]:
            raise ValueError(f"np.einsum {subscripts!r}: dimension {c!r} differs between operands")
    n = [int(np.prod([size[c] for c in group], dtype=np.int64)) for group in (batch, free_a, contracted, free_b)]
    am = a.transpose([ta.index(c) for c in batch + free_a + contracted]).reshape(n[0], n[1], n[2])
    bm = b.transpose([tb.index(c) for c in batch + contracted + free_b]).reshape(n[0], n[2], n[3])
    result = product(am, bm).reshape([size[c] for c in batch + free_a + free_b])
    order = batch + free_a + free_b
    return result.transpose([order.index(c) for c in output])
