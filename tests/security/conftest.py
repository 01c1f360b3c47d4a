"""Fixtures: the channel-test fakes, and one running stack for the package's stack tests."""

from __future__ import annotations

import pytest

from tests.bot.channels.conftest import clock, fake_graph  # noqa: F401 - fixtures
from tests.security.stack import running_stack


@pytest.fixture(scope="package")
def stack(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("var-security")) as running:
        yield running
