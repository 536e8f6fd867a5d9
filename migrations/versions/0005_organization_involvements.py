"""Organisation involvements kept for the statistics: one row per (event, organisation).

Derived from the organisations' roles and the attended team participations (hosted: 主办;
co-organised: 协办 or 承办; took part: 参与, 参展, 参赛队 or an attended team). The model's
flush listener rewrites an event's rows at every write; existing events are filled here.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "organization_involvements",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("hosted", sa.Boolean(), nullable=False),
        sa.Column("co_organized", sa.Boolean(), nullable=False),
        sa.Column("took_part", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_organization_involvements_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_organization_involvements_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "event_id", "organization_id", name=op.f("pk_organization_involvements")
        ),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_organization_involvements_organization_id",
        "organization_involvements",
        ["organization_id"],
    )
    op.execute(
        """
        INSERT INTO organization_involvements
            (event_id, organization_id, hosted, co_organized, took_part)
        SELECT event_id, organization_id, max(hosted) = 1, max(co_organized) = 1,
               max(took_part) = 1
        FROM (
            SELECT event_id, organization_id,
                   CASE WHEN role = 'host' THEN 1 ELSE 0 END AS hosted,
                   CASE WHEN role IN ('co_organizer', 'organizer') THEN 1 ELSE 0 END
                       AS co_organized,
                   CASE WHEN role IN ('participant', 'exhibitor', 'team') THEN 1 ELSE 0 END
                       AS took_part
            FROM event_organizations
            UNION ALL
            SELECT event_id, organization_id, 0, 0, 1
            FROM participations
            WHERE organization_id IS NOT NULL AND attended
        ) AS roles_and_teams
        GROUP BY event_id, organization_id
        """
    )


def downgrade():
    op.drop_table("organization_involvements")
