"""Fixtures shared by the tests; the builders behind them live in ``builders.py``."""

import pytest

from builders import seed_tenant


@pytest.fixture
def seed():
    """docs/rules.md §2's worked example tenant (A, B, C)."""
    return seed_tenant()
