"""The package version: the one place it is written (pyproject.toml, ``fxp.__version__`` and
``fxp_nn.__version__`` read it)."""
__version__ = "0.1.0"
