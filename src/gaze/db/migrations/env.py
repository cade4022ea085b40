"""Alembic environment: runs against the engine GAZE passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from gaze.db.models import Base

config = context.config
engine = config.attributes.get("engine") or create_engine(
    config.get_main_option("sqlalchemy.url") or "sqlite://"
)

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
