"""A person takes part in an activity once; an index on awards for the contest results.

The event form already refused the same person twice in one role; now one person appears
once per activity whatever the role, which lets the statistics count a person's activities
as rows. Existing duplicates stop the upgrade with the list to merge by hand (nothing is
deleted here: each row may hold hours or an award).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    duplicates = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT event_id, person_id, count(*) FROM participations "
                "WHERE person_id IS NOT NULL GROUP BY event_id, person_id HAVING count(*) > 1 "
                "ORDER BY event_id, person_id"
            )
        )
        .all()
    )
    if duplicates:
        listed = ", ".join(f"活动 {event} 的人员 {person}（{times} 条）" for event, person, times in duplicates)
        raise RuntimeError(
            "同一人员在同一活动中登记了多次，请先在活动编辑页合并这些记录再升级："
            f"{listed}。A person is listed more than once in one activity: merge the rows "
            "on the event form, then upgrade again."
        )
    op.create_index(
        "uq_participations_event_person", "participations", ["event_id", "person_id"], unique=True
    )
    op.create_index(
        "ix_participations_awards",
        "participations",
        ["award"],
        sqlite_where=sa.text("award IS NOT NULL"),
        postgresql_where=sa.text("award IS NOT NULL"),
    )


def downgrade():
    op.drop_index("ix_participations_awards", table_name="participations")
    op.drop_index("uq_participations_event_person", table_name="participations")
