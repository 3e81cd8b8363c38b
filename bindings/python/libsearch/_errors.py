"""Exceptions raised by libsearch, one per C++ ``libsearch::StatusCode``.

Each carries the C++ message unchanged as its only argument, so ``str(e)`` is
what the CLI would print after ``libsearch: <Code>:``.
"""

from __future__ import annotations

from typing import ClassVar, Optional, Tuple, Type

__all__ = [
    "LibsearchError",
    "InvalidArgument",
    "NotFound",
    "CorruptIndex",
    "IOFailure",
    "Unimplemented",
    "ResourceExhausted",
    "InternalError",
]


class LibsearchError(Exception):
    """Base class of every error libsearch raises.

    ``code`` names the C++ ``StatusCode`` (``"InvalidArgument"``, ...).
    """

    code: ClassVar[str] = "Unknown"


class InvalidArgument(LibsearchError, ValueError):
    """The caller's input is wrong: a query, schema, document or option."""

    code = "InvalidArgument"


class NotFound(LibsearchError, FileNotFoundError):
    """A file, field or document does not exist."""

    code = "NotFound"


class CorruptIndex(LibsearchError):
    """Stored data failed a checksum or a bounds check: the index is damaged."""

    code = "Corruption"


class IOFailure(LibsearchError, OSError):
    """The operating system refused a read or a write."""

    code = "IOError"


class Unimplemented(LibsearchError, NotImplementedError):
    """A valid request for something libsearch does not do yet."""

    code = "Unimplemented"


class ResourceExhausted(LibsearchError):
    """A configured limit was hit."""

    code = "ResourceExhausted"


class InternalError(LibsearchError, RuntimeError):
    """A libsearch bug; please report it with the message."""

    code = "Internal"


class Conflict(LibsearchError):
    """Another writer committed first: read the index again and retry."""

    code = "Aborted"


class Unavailable(LibsearchError, ConnectionError):
    """A shard of a :class:`FanOutIndex` search failed or missed its deadline
    (the message names it and why)."""

    code = "Unavailable"


# Indexed by the numeric value of libsearch::StatusCode (0 is OK). The
# extension module reads this tuple once, at import.
BY_CODE: Tuple[Optional[Type[LibsearchError]], ...] = (
    None,
    InvalidArgument,
    NotFound,
    CorruptIndex,
    IOFailure,
    Unimplemented,
    ResourceExhausted,
    InternalError,
    Conflict,
    Unavailable,
)

# Shown as libsearch.InvalidArgument etc. in tracebacks and reprs.
for _cls in (LibsearchError, *(c for c in BY_CODE if c is not None)):
    _cls.__module__ = "libsearch"
del _cls
