"""Exceptions of recurring series: skipped, added and changed occurrences.

Adds `event_occurrence_changes`, one row per occurrence of a series that is skipped (EXDATE),
added (RDATE) or changed (RECURRENCE-ID: moved, retitled, elsewhere, with a note, cancelled),
keyed by the event and the occurrence's original start in UTC.

Revision ID: 0011
Revises: 0009
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "event_occurrence_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("original_starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("location", sa.String(length=300), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("is_cancelled", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('skipped', 'added', 'changed')",
            name=op.f("ck_event_occurrence_changes_kind"),
        ),
        sa.CheckConstraint(
            "kind = 'skipped' OR (starts_at IS NOT NULL AND ends_at IS NOT NULL"
            " AND ends_at >= starts_at)",
            name=op.f("ck_event_occurrence_changes_times_of_held_occurrence"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_occurrence_changes_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_occurrence_changes")),
        sa.UniqueConstraint(
            "event_id", "original_starts_at", name="uq_event_occurrence_changes_key"
        ),
    )


def downgrade():
    op.drop_table("event_occurrence_changes")
