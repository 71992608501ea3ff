"""Alembic environment: uses the URL handed in by gateway.db.migrate (or alembic.ini)."""

from __future__ import annotations

from alembic import context

from gateway.db import (
    erp_models,  # noqa: F401  (registers the ERP hand-back tables)
    print_models,  # noqa: F401  (registers the self-print tables)
    ui_models,  # noqa: F401  (registers the UI's drafts and user audit)
    verification_models,  # noqa: F401  (registers the verification draft tables)
)
from gateway.db.engine import make_engine
from gateway.db.models import Base

config = context.config
url = config.get_main_option("sqlalchemy.url") or "sqlite:///var/gateway.db"
engine = make_engine(url)
MIGRATION_LOCK = 0x636F6777  # "cogw": processes starting together migrate one at a time

with engine.connect() as connection:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
        connection.commit()  # the lock is per session; end the implicit transaction so Alembic owns its own
    try:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    finally:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})")
            connection.commit()
engine.dispose()
