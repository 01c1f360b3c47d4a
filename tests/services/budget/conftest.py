"""Shared fixtures for the budget service tests."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from services.budget.app import create_app
from services.budget.schemes import load_schemes

# The day the situation tests apply the rules on: answers must stay reproducible afterwards.
SITUATION_DAY = date(2026, 11, 27)


@pytest.fixture(scope="session")
def schemes():
    return load_schemes()


@pytest.fixture(scope="session")
def scheme_ids(schemes):
    return {scheme.id for scheme in schemes}


@pytest.fixture(scope="session")
def client():
    return TestClient(create_app(today=lambda: SITUATION_DAY))
