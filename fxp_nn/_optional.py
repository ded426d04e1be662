"""Optional dependencies: imported where they are used, with an error that says how to get them."""
import importlib


def require(module, extra):
    """Import and return ``module``.

    Parameters
    ----------
    module : str
        Dotted module name, e.g. ``"sklearn.datasets"``.
    extra : str
        The extra of the ``fxp`` distribution that installs it (``pip install "fxp[extra]"``).

    Raises
    ------
    ModuleNotFoundError
        Naming the missing module and the install command.
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(
            f"{module} is not installed; it comes with the {extra!r} extra: pip install \"fxp[{extra}]\""
        ) from exc
