"""Alembic environment: migrations run on the connection ``store.upgrade`` passes in."""

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:  # `alembic` from the command line: open the configured URL
    from sqlalchemy import create_engine

    connection = create_engine(context.config.get_main_option("sqlalchemy.url")).connect()

context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
