"""Fixtures shared by the profitability tests."""

from __future__ import annotations

import pytest

from cfresearch.profit.cdnow import load_cdnow


@pytest.fixture(scope="session")
def cdnow():
    """The CDNOW calibration summary of the lifetime-value papers (2,357 customers, weeks)."""
    return load_cdnow()
