"""Tell every replica which incident changed, when the change commits (storage.change_feed): a
trigger on incidents sends NOTIFY firebreak_changes with the row's id. Postgres only; on SQLite
the one process that uses the file tells itself.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # One notice per row and transaction: Postgres folds identical notices of one transaction.
    op.execute(
        """
        CREATE FUNCTION firebreak_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('firebreak_changes', NEW.id::text);
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER incidents_notify_change AFTER INSERT OR UPDATE ON incidents"
        " FOR EACH ROW EXECUTE FUNCTION firebreak_notify_change()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER incidents_notify_change ON incidents")
    op.execute("DROP FUNCTION firebreak_notify_change()")
