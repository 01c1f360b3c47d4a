"""Fixtures shared with the channel tests (a fake Graph API and a settable clock)."""

from tests.bot.channels.conftest import clock, fake_graph  # noqa: F401 - fixtures
