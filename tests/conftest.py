"""Test configuration: one hypothesis profile (JIT compilation trips per-example deadlines)."""

from hypothesis import HealthCheck, settings

settings.register_profile(
    "rlfoundations",
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("rlfoundations")
