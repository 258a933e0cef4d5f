"""Test configuration: hypothesis profiles.

CI (the CI environment variable set) uses a derandomized profile so that a
run is reproducible; locally the examples are random, and
HYPOTHESIS_PROFILE=thorough runs many more of them.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# HYPOTHESIS_PROFILE=thorough: a long hunt for counterexamples before a release (not run by CI).
settings.register_profile(
    "thorough", max_examples=300, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))
