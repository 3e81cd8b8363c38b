"""Small pieces the facade modules share: the C++ defaults and path and
name-list helpers."""

from __future__ import annotations

import os
from typing import Any, Dict, Sequence, Tuple, Union

from . import _core

#: A file-system path: ``str`` or any ``os.PathLike[str]`` (``pathlib.Path``).
PathLike = Union[str, "os.PathLike[str]"]

# Keyword defaults come from the C++ option structs, so they always agree.
DEFAULTS: Dict[str, Any] = _core.DEFAULTS

# The empty sequence the extension takes for "none".
NONE: Tuple[Any, ...] = ()


def float_default(name: str) -> float:
    """A C++ float default such as 1.2f, shown as 1.2 (it converts back to the same float)."""
    return float(f"{DEFAULTS[name]:.7g}")


def strings(names: Union[str, Sequence[str], None]) -> Sequence[str]:
    """None -> none; one string -> itself; else the sequence as given."""
    if names is None:
        return NONE
    if isinstance(names, str):
        return (names,)
    return names
