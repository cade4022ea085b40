"""Optional dependencies (pip extras) that a setting needs, and a clear error naming the
install command when one is missing."""

from __future__ import annotations

import importlib


class MissingExtra(RuntimeError):
    """A setting asks for a driver that is not installed."""


def require_module(module: str, extra: str, needed_by: str) -> None:
    """Raise `MissingExtra` when `module` (installed by the pip extra `extra`) is missing."""
    try:
        importlib.import_module(module)
    except ImportError:
        raise MissingExtra(
            f"{needed_by} needs the Python package {module!r}, which is not installed. "
            f"Install GAZE's {extra!r} extra: `pip install -e '.[{extra}]'` in the project "
            f"folder (`make run` and `make test` install it)."
        ) from None
