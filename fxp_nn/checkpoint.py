"""Model files and resumable checkpoints, in the safe ``.npz`` + JSON format of :mod:`fxp_nn.serialization`.

A model file (:func:`save_model`, exported as ``fxp_nn.save``) holds the architecture and the
model's state dict; a checkpoint holds the same plus the optimizer state, the shuffling
generator's state, the history and the run's config, so a run resumes bit for bit. Both are
written atomically; :func:`load_model` (``fxp_nn.load``) reads either.
"""
from __future__ import annotations

from .serialization import (SerializationError, atomic_write, generator_from_state, read_file, require,
                            write_file)

__all__ = ["atomic_write", "load", "load_model", "save", "save_model"]


def save_model(path, model):
    """Save ``model`` (architecture, parameters with their formats, policies, generator state) to ``path``.

    Parameters
    ----------
    path : path
        The file to write (``.npz`` by convention); replaced atomically.
    model : Sequential
        Every layer (and policy part) must be registered with :func:`fxp_nn.serializable`.

    Raises
    ------
    TypeError
        A layer or policy part cannot be saved (the message names it).
    """
    write_file(path, "model", {"architecture": model, "state": model.state_dict()})


def load_model(path):
    """The model saved in ``path`` by :func:`save_model` (or the model in a checkpoint).

    Loading never runs code from the file: arrays are read with ``allow_pickle=False`` and
    objects are built only from registered classes.

    Raises
    ------
    FileNotFoundError
        No such file.
    SerializationError
        Truncated, corrupt or not an fxp_nn file, or an entry missing (the message names the file).
    """
    content = read_file(path)
    model = require(content, "architecture", path)
    try:
        model.load_state_dict(require(content, "state", path))
    except (KeyError, ValueError) as exc:
        raise SerializationError(f"{path}: {exc.args[0]}") from None
    return model


def save(path, model, optimizer, shuffle_rng, history, config):
    """Save everything needed to continue training exactly where it stopped (atomically).

    ``optimizer.state_dict()`` supplies the optimizer's tensors; ``shuffle_rng`` is the numpy
    generator that shuffles the batches.
    """
    write_file(path, "checkpoint", {
        "architecture": model, "state": model.state_dict(), "optimizer": optimizer.state_dict(),
        "shuffle_rng": shuffle_rng.bit_generator.state, "history": history, "config": config,
    })


def load(path, model, optimizer, shuffle_rng):
    """Restore a checkpoint written by :func:`save`; returns ``(history, config)``.

    The parameters, the optimizer state and both generators are restored; the model keeps its
    own policies (a run may resume under a new policy: the parameters are re-quantized at the
    next forward pass).

    Raises
    ------
    FileNotFoundError, SerializationError
        Missing, truncated or corrupt file, a missing entry, or parameters that do not match the
        model (the message names the file).
    """
    content = read_file(path, kinds=("checkpoint",))
    state = require(content, "state", path)
    params = dict(model.named_parameters())
    saved = require(state, "parameters", path)
    if list(saved) != list(params):
        raise SerializationError(f"{path}: checkpoint has parameters {list(saved)}, the model {list(params)}")
    for name, value in saved.items():
        if tuple(value.shape) != tuple(params[name].shape):
            raise SerializationError(f"{path}: parameter {name} has shape {tuple(value.shape)} in the "
                                     f"checkpoint, {tuple(params[name].shape)} in the model")
    for name, value in saved.items():
        params[name].value = value
    try:
        optimizer.load_state_dict(require(content, "optimizer", path))
    except (KeyError, ValueError) as exc:
        raise SerializationError(f"{path}: optimizer state: {exc.args[0]}") from None
    try:
        shuffle_rng.bit_generator.state = require(content, "shuffle_rng", path)
    except (KeyError, TypeError, ValueError) as exc:
        raise SerializationError(f"{path}: shuffle_rng: {exc}") from None
    rng_state = require(state, "rng", path)
    if rng_state is not None:
        if model.rng is None:
            model.rng = generator_from_state(rng_state)
        else:
            model.rng.state = rng_state
    return require(content, "history", path), require(content, "config", path)
