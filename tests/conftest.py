"""Shared pytest setup.

Hypothesis profiles (used by tests/test_fuzz.py and any other property test that does not
pin its own `max_examples`): `HYPOTHESIS_PROFILE=ci` (the default) keeps the suite fast;
`HYPOTHESIS_PROFILE=long` runs thousands of examples per property, for a soak run:

    HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest -q tests/test_fuzz.py
"""
from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_SLOW_INPUTS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

settings.register_profile("ci", max_examples=40, deadline=None, suppress_health_check=_SLOW_INPUTS, print_blob=True)
settings.register_profile("long", max_examples=3000, deadline=None, suppress_health_check=_SLOW_INPUTS, print_blob=True)
settings.register_profile("dev", max_examples=10, deadline=None, suppress_health_check=_SLOW_INPUTS)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
