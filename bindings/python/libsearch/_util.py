"""Small pieces the facade modules share: the C++ defaults, path and
name-list helpers, and the conversion of user text and objects for C++."""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Sequence, Tuple, Union

from . import _core
from ._errors import CorruptIndex, InvalidArgument

#: A file-system path: ``str`` or any ``os.PathLike[str]`` (``pathlib.Path``).
PathLike = Union[str, "os.PathLike[str]"]

# Keyword defaults come from the C++ option structs, so they always agree.
DEFAULTS: Dict[str, Any] = _core.DEFAULTS

# The empty sequence the extension takes for "none".
NONE: Tuple[Any, ...] = ()


def float_default(name: str) -> float:
    """A C++ float default such as 1.2f, shown as 1.2 (it converts back to the same float)."""
    return float(f"{DEFAULTS[name]:.7g}")


def utf8(text: Union[str, bytes]) -> bytes:
    """``text`` as the bytes C++ reads. A lone surrogate (``"\\udcff"``) has no
    UTF-8 form: it is kept as its surrogate bytes, which the library rejects
    as invalid UTF-8 (InvalidArgument), as it does such bytes from a file."""
    if isinstance(text, str):
        return text.encode("utf-8", "surrogatepass")
    if isinstance(text, (bytes, bytearray, memoryview)):
        return bytes(text)
    # A wrong type is the program's mistake, not bad input: TypeError.
    raise TypeError(f"expected str or bytes, got {type(text).__name__}")


def dumps(obj: Any, what: str = "document") -> bytes:
    """``obj`` as compact JSON text for C++. What JSON cannot hold (a set,
    bytes, NaN, a cycle, nesting Python cannot recurse into) is the caller's
    input error: :class:`InvalidArgument`, not TypeError or ValueError."""
    try:
        text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError, RecursionError) as e:
        raise InvalidArgument(f"{what} cannot be written as JSON: {e}") from None
    return utf8(text)


def stored_doc(text: str) -> Dict[str, Any]:
    """A stored document's JSON as a dict; text that is not a JSON object can
    only come from a damaged document store: :class:`CorruptIndex`."""
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        raise CorruptIndex(f"a stored document is not a JSON object: {text[:40]!r}")
    return doc


def strings(names: Union[str, Sequence[str], None]) -> Sequence[str]:
    """None -> none; one string -> itself; else the sequence as given."""
    if names is None:
        return NONE
    if isinstance(names, str):
        return (names,)
    return names
