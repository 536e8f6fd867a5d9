"""Attendance: invitations, walk-ins, sign-in time and source on participations, and the
counters that throttle the phones' sign-in page.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("participations") as batch:
        batch.add_column(sa.Column("signed_in_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("sign_in_source", sa.String(length=20), nullable=True))
        batch.create_check_constraint(
            "sign_in_source",
            "sign_in_source IS NULL OR sign_in_source IN ('qr', 'manual', 'walk_in')",
        )
    op.create_table(
        "event_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(person_id IS NULL) <> (organization_id IS NULL)",
            name=op.f("ck_event_invitations_person_or_organization"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_invitations_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_event_invitations_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_event_invitations_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_invitations")),
        sa.UniqueConstraint(
            "event_id", "organization_id", name="uq_event_invitations_organization"
        ),
    )
    op.create_index(
        "uq_event_invitations_person", "event_invitations", ["event_id", "person_id"], unique=True
    )
    op.create_index(
        "ix_event_invitations_organization_id", "event_invitations", ["organization_id"]
    )
    op.create_index("ix_event_invitations_person_id", "event_invitations", ["person_id"])
    op.create_table(
        "walk_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("organization_text", sa.String(length=200), nullable=False),
        sa.Column("phone_last_four", sa.String(length=4), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'rejected')", name=op.f("ck_walk_ins_status")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_walk_ins_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_walk_ins_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_walk_ins_person_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_walk_ins")),
    )
    op.create_index("ix_walk_ins_event_status", "walk_ins", ["event_id", "status"])
    op.create_table(
        "check_in_throttles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_in_throttles")),
        sa.UniqueConstraint("key", "window_start", name="uq_check_in_throttles_key"),
    )
    op.create_index("ix_check_in_throttles_window_start", "check_in_throttles", ["window_start"])


def downgrade():
    op.drop_table("check_in_throttles")
    op.drop_table("walk_ins")
    op.drop_table("event_invitations")
    with op.batch_alter_table("participations") as batch:
        batch.drop_constraint("sign_in_source", type_="check")
        batch.drop_column("sign_in_source")
        batch.drop_column("signed_in_at")
