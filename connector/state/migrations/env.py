"""Alembic environment: revloop runs migrations itself (``revloop db upgrade``, and on run/daemon start)."""

from alembic import context

from connector.state.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
