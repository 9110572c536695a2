"""Test configuration: the hypothesis profiles, chosen by the environment variable
``HYPOTHESIS_PROFILE``, and one process pool for the tests that sweep on one.

- ``dev`` (the default: ``pytest``, ``make test``): each property test runs a quarter of its
  examples (:func:`strategies.examples`), at least 5 of them; a test without its own count
  runs 15.
- ``thorough`` (CI's complete run: ``make test-slow``, ``make test-all``): every test runs
  the examples its decorator names (60 for a test without its own count).

Both lift the per-example deadline and the too-slow health check: the first example of a
test compiles the kernels it calls.
"""

import concurrent.futures
import multiprocessing
import os

import pytest
from hypothesis import HealthCheck, settings

from strategies import THOROUGH_EXAMPLES

COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("thorough", max_examples=THOROUGH_EXAMPLES, **COMMON)
settings.register_profile("dev", max_examples=THOROUGH_EXAMPLES // 4, **COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(scope="session")
def process_pool():
    """One pool of two spawned worker processes for every test that sweeps on a process pool:
    spawning a worker (a fresh interpreter importing NumPy, Numba and the kernels) is the slow
    part, so the workers are started once for the session."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=context) as executor:
        yield executor
