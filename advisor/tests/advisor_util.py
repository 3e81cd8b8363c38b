"""A small synthetic profile for the advisor's model and CLI tests (the measured one needs the runtimes)."""

from __future__ import annotations

import numpy as np

from libsearch_advisor import Profile
from libsearch_advisor.profile import SurfaceProfile


def synthetic_profile() -> Profile:
    rng = np.random.default_rng(3)

    def surface(cold: float, warm: float, cpu: float) -> SurfaceProfile:
        w = rng.lognormal(np.log(warm), 0.3, 400)
        return SurfaceProfile(list(rng.normal(cold, cold / 10, 12)), list(w), list(w * cpu / warm))

    return Profile({"lambda-cpp": surface(25, 1.2, 0.4), "lambda-python": surface(170, 1.5, 0.8),
                    "gcf-python": surface(340, 2.0, 1.0), "service": surface(18, 0.6, 0.4)},
                   "2026-11-27", {"cores": 2}, {"path": "synthetic", "bytes": 0}, "synthetic samples for tests")
