"""The advisor's entry points, imported on first use."""

from __future__ import annotations

from typing import Any


def advise(*args: Any, **kwargs: Any) -> Any:
    """The serverless-vs-service advisor: see :func:`libsearch.advisor.advise`.

    Imported on first use: the advisor needs numpy (and matplotlib for charts),
    which a search-only process (e.g. a Lambda handler) should not pay for.
    """
    from . import advisor

    return advisor.advise(*args, **kwargs)


def profile(*args: Any, **kwargs: Any) -> Any:
    """Measures the deployment surfaces: see :func:`libsearch.advisor.profile`."""
    from . import advisor

    return advisor.profile(*args, **kwargs)
