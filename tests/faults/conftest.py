"""One running stack for the fault tests, with the actions talking to switchable fakes.

CATALOG_URL and BUDGET_URL point at FakeService instances that pass requests on to the
real services until a test switches them to slow, 500 or down.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.faults.fake_service import FakeService
from tests.support.ports import free_port
from tests.support.stack import running_stack


@pytest.fixture(scope="package")
def faulty(tmp_path_factory):
    catalog_port, budget_port = free_port(), free_port()
    catalog = FakeService(f"http://127.0.0.1:{catalog_port}", free_port())
    budget = FakeService(f"http://127.0.0.1:{budget_port}", free_port())
    with (
        catalog,
        budget,
        running_stack(
            tmp_path_factory.mktemp("var-faults"),
            CATALOG_PORT=str(catalog_port),
            BUDGET_PORT=str(budget_port),
            CATALOG_URL=f"{catalog.url}/v5",
            BUDGET_URL=budget.url,
        ) as stack,
    ):
        yield SimpleNamespace(stack=stack, catalog=catalog, budget=budget)
