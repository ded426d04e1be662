"""Safe files for models and checkpoints: a registry of serialisable classes, and ``.npz`` + JSON I/O.

A file is a zip archive in numpy's ``.npz`` layout: one JSON member (``fxp_nn.json``) holding
everything that is not an array (architecture, policies, formats, generator states, history)
and one ``.npy`` member per array, read with ``allow_pickle=False``. Objects are rebuilt only
through the registry below, by name, so loading a file from someone else never runs code
from it: an unknown name is an error, not an import.

The registry protocol (documented in ``docs/nn.md``): a class that can be saved has a method
``to_config()`` returning a dict of JSON values, arrays and other registered objects, and a
classmethod ``from_config(config)`` that rebuilds it from that dict; it is registered under a
unique name with :func:`serializable` (a class decorator). Classes one does not own are
registered with :func:`register_codec`.
"""
from __future__ import annotations

import dataclasses
import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

import fxp
import fxp.random

FILE_FORMAT = "fxp_nn"
FILE_VERSION = 1
HEADER = "fxp_nn.json"
_TYPE, _ARRAY = "__type__", "__array__"

_REGISTRY = {}   # name -> (class, to_config(obj), from_config(config))
_NAMES = {}      # class -> name


class SerializationError(ValueError):
    """A file cannot be read as an fxp_nn model or checkpoint (the message names the file)."""


def register_codec(cls, name, to_config, from_config):
    """Register ``cls`` under ``name`` with explicit ``to_config(obj)``/``from_config(config)`` functions.

    For classes whose source one does not own (``fxp.Format``, ``fxp.Accumulator``); classes of
    one's own use the :func:`serializable` decorator.

    A class defined again under the same module and name (a re-run notebook cell, a reloaded
    module) replaces its earlier definition.

    Raises
    ------
    ValueError
        ``name`` is already taken by another class.
    """
    if name in _REGISTRY and not _same_class(_REGISTRY[name][0], cls):
        raise ValueError(f"serialisation name {name!r} is already registered for {_REGISTRY[name][0]!r}")
    _REGISTRY[name] = (cls, to_config, from_config)
    _NAMES[cls] = name
    return cls


def _same_class(a, b):
    return a is b or (a.__module__, a.__qualname__) == (b.__module__, b.__qualname__)


def serializable(cls=None, *, name=None):
    """Class decorator: register ``cls`` (with ``to_config()`` and ``from_config(config)``) by name.

    Parameters
    ----------
    cls : type
    name : str, optional
        The name written in files; default the class name. Names are global: a package adding
        classes should prefix them (``"mypkg.MyLayer"``).

    Examples
    --------
    >>> import fxp_nn
    >>> @fxp_nn.serializable(name="doc.Scale")
    ... class Scale(fxp_nn.Layer):
    ...     def __init__(self, factor):
    ...         self.factor = factor
    ...     def to_config(self):
    ...         return {"factor": self.factor}
    >>> fxp_nn.serialization.decode(fxp_nn.serialization.encode(Scale(3))[0], {}).factor
    3
    """
    def wrap(klass):
        for method in ("to_config", "from_config"):
            if not callable(getattr(klass, method, None)):
                raise TypeError(f"{klass.__name__} needs a {method}() method to be serializable")
        return register_codec(klass, name or klass.__name__, klass.to_config, klass.from_config)
    return wrap if cls is None else wrap(cls)


class DataclassConfig:
    """Mixin for (frozen) dataclasses: the config is the fields, ``from_config`` calls the constructor."""

    def to_config(self):
        """The dataclass fields as a dict (values encoded by the registry)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @classmethod
    def from_config(cls, config):
        """Rebuild from :meth:`to_config`'s dict."""
        return cls(**config)


def _accumulator_config(acc):
    return {"bits": acc.bits, "overflow": fxp.Overflow(acc.overflow).value, "chunk": acc.chunk}


register_codec(fxp.Format, "fxp.Format", lambda f: {"spec": str(f)}, lambda c: fxp.Format.parse(c["spec"]))
register_codec(fxp.Accumulator, "fxp.Accumulator", _accumulator_config, lambda c: fxp.Accumulator(**c))


# --- encoding a tree of values ------------------------------------------------------------------
def encode(obj, arrays=None, _path="state"):
    """JSON-able form of ``obj``; arrays (numpy or FxpArray) go into ``arrays`` by a generated key.

    Returns
    -------
    (json_value, arrays) : the encoded value and the dict ``{key: numpy array}``.

    Raises
    ------
    TypeError
        A value is neither JSON, an array, nor a registered class (the message gives its path).
    """
    arrays = {} if arrays is None else arrays
    if obj is None or isinstance(obj, (bool, str)):
        return obj, arrays
    if isinstance(obj, (int, np.integer)):
        return int(obj), arrays
    if isinstance(obj, (float, np.floating)):
        return float(obj), arrays
    if isinstance(obj, (np.ndarray, fxp.FxpArray)):
        key = f"a{len(arrays)}"
        is_fxp = isinstance(obj, fxp.FxpArray)
        raw = np.asarray(obj.raw if is_fxp else obj)
        if raw.dtype.hasobject:
            raise TypeError(f"{_path}: an object array cannot be saved without pickle")
        arrays[key] = raw
        return {_ARRAY: key, "fmt": str(obj.fmt) if is_fxp else None}, arrays
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if not isinstance(k, str):
                raise TypeError(f"{_path}: dictionary keys must be strings to be saved, got {k!r}")
            out[k] = encode(v, arrays, f"{_path}.{k}")[0]
        return out, arrays
    if isinstance(obj, (list, tuple)):
        return [encode(v, arrays, f"{_path}[{i}]")[0] for i, v in enumerate(obj)], arrays
    name = _NAMES.get(type(obj))
    if name is None:
        raise TypeError(f"{_path}: cannot save a {type(obj).__module__}.{type(obj).__qualname__}; "
                        "register the class with fxp_nn.serializable (see docs/nn.md, 'Saving models')")
    config = _REGISTRY[name][1](obj)
    return {_TYPE: name, "config": encode(config, arrays, f"{_path}<{name}>")[0]}, arrays


def decode(value, arrays):
    """Inverse of :func:`encode`: rebuild registered objects and arrays (``arrays``: key -> numpy array)."""
    if isinstance(value, list):
        return [decode(v, arrays) for v in value]
    if not isinstance(value, dict):
        return value
    if _ARRAY in value:
        raw = arrays[value[_ARRAY]]
        return raw if value["fmt"] is None else fxp.from_raw(raw, fxp.Format.parse(value["fmt"]))
    if _TYPE in value:
        name = value[_TYPE]
        if name not in _REGISTRY:
            raise KeyError(f"unknown type {name!r}: import the package that registers it before loading")
        return _REGISTRY[name][2](decode(value["config"], arrays))
    return {k: decode(v, arrays) for k, v in value.items()}


def generator_state(rng):
    """JSON-able state of an ``fxp.random`` generator (None for None)."""
    return None if rng is None else rng.state


def generator_from_state(state):
    """An ``fxp.random`` generator in ``state`` (from :func:`generator_state`)."""
    if state is None:
        return None
    name = state.get("bit_generator")
    if name not in ("Xoroshiro128Plus", "Xorshift"):
        raise ValueError(f"unknown stochastic-rounding generator {name!r}")
    rng = fxp.random.Xoroshiro128Plus(0)
    rng.state = state
    return rng


# --- files --------------------------------------------------------------------------------------
def atomic_write(path, data):
    """Write ``data`` (bytes or str) to ``path`` via a temporary file in the same directory and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode() if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_file(path, kind, content):
    """Write ``content`` (a dict of JSON values, arrays and registered objects) as a ``kind`` file.

    ``kind`` is ``"model"`` or ``"checkpoint"``; the write is atomic.
    """
    tree, arrays = encode(content)
    header = {"format": FILE_FORMAT, "version": FILE_VERSION, "kind": kind, **tree}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(HEADER, json.dumps(header, indent=1, allow_nan=True))
        for key, raw in arrays.items():
            with zf.open(key + ".npy", "w") as fh:
                np.lib.format.write_array(fh, np.array(raw, order="C", copy=True), allow_pickle=False)
    atomic_write(path, buf.getvalue())


def read_file(path, kinds=("model", "checkpoint")):
    """Read a file written by :func:`write_file`; returns its decoded content (a dict).

    Raises
    ------
    FileNotFoundError
        No such file.
    SerializationError
        Not a zip archive, truncated, corrupt, not an fxp_nn file, of another kind, or a
        member missing; the message names the file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if HEADER not in names:
                raise SerializationError(f"{path}: not an fxp_nn file (no {HEADER} inside)")
            header = json.loads(zf.read(HEADER))
            arrays = {}
            for name in names - {HEADER}:
                with zf.open(name) as fh:
                    arrays[name[:-len(".npy")]] = np.lib.format.read_array(fh, allow_pickle=False)
    except SerializationError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise SerializationError(f"{path}: truncated or corrupt fxp_nn file ({exc})") from None
    if not isinstance(header, dict) or header.get("format") != FILE_FORMAT:
        raise SerializationError(f"{path}: not an fxp_nn file")
    if header.get("version") != FILE_VERSION:
        raise SerializationError(f"{path}: file version {header.get('version')!r}; this fxp_nn reads "
                                 f"version {FILE_VERSION}")
    if header.get("kind") not in kinds:
        raise SerializationError(f"{path}: a {header.get('kind')} file, expected {' or '.join(kinds)}")
    try:
        return decode(header, arrays)
    except KeyError as exc:
        raise SerializationError(f"{path}: missing or unknown entry: {exc.args[0]}") from None
    except (TypeError, ValueError, AttributeError, RecursionError) as exc:
        raise SerializationError(f"{path}: corrupt entry: {exc}") from None


def require(content, key, path):
    """``content[key]``, or a :class:`SerializationError` naming ``path`` and the missing key."""
    if not isinstance(content, dict):
        raise SerializationError(f"{path}: corrupt file: expected a mapping holding {key!r}, got "
                                 f"{type(content).__name__}")
    if key not in content:
        raise SerializationError(f"{path}: missing entry {key!r}")
    return content[key]
