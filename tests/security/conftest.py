"""Fixtures: the channel-test fakes, and one running stack for the package's stack tests."""

from __future__ import annotations

import pytest

from tests.bot.channels.conftest import clock, fake_graph  # noqa: F401 - fixtures


@pytest.fixture(scope="package")
def stack(shared_stack):
    return shared_stack
