"""The catalog's tables of schema version 4, from nothing or from an earlier release.

Baseline. Adopts the catalogs made before migrations (their version is in the `meta` table):
version 4 as it is, versions 2 and 3 upgraded in place (rows and ids kept), an older one of
example data only rebuilt, anything else refused (SchemaMixin._adopt in
services/catalog/store/schema.py). The tables differ per dialect (the store's `_schema`).
"""

from alembic import op

revision = "0001"
down_revision = None


def upgrade(store) -> None:  # noqa: ANN001 - the catalog store (services.catalog.store)
    # A DB-API cursor on the migration's own transaction: the store's methods take one.
    cursor = op.get_bind().connection.cursor()
    try:
        store._adopt(cursor)
    finally:
        cursor.close()
