from tests.support.stack import started_stack  # noqa: F401 - tests/conftest.py imports it
