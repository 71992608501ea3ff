"""Alembic environment: uses the URL handed in by gateway.db.migrate (or alembic.ini)."""

from __future__ import annotations

from alembic import context

from gateway.db.engine import make_engine
from gateway.db.models import Base

config = context.config
url = config.get_main_option("sqlalchemy.url") or "sqlite:///var/gateway.db"
engine = make_engine(url)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
