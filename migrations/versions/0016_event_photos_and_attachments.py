"""Photos and attachments of events; their files live in the upload folder.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

PHOTO_MEDIA_TYPES = "media_type IN ('image/jpeg', 'image/png')"
ATTACHMENT_KINDS = "kind IN ('pdf', 'docx', 'xlsx', 'pptx', 'odt', 'ods', 'odp', 'ole')"


def _common_columns(table: str) -> list:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("file_key", sa.String(length=64), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f(f"fk_{table}_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f(f"fk_{table}_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.UniqueConstraint("event_id", "position", name=f"uq_{table}_event_position"),
        sa.UniqueConstraint("event_id", "file_key", name=f"uq_{table}_event_file"),
        sa.CheckConstraint("position >= 0", name=op.f(f"ck_{table}_position_not_negative")),
    ]


def upgrade():
    op.create_table(
        "event_photos",
        *_common_columns("event_photos"),
        sa.Column("caption", sa.String(length=300), nullable=True),
        sa.Column("thumbnail_key", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=20), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.CheckConstraint("width > 0 AND height > 0", name=op.f("ck_event_photos_size_positive")),
        sa.CheckConstraint(PHOTO_MEDIA_TYPES, name=op.f("ck_event_photos_media_type")),
    )
    op.create_index("ix_event_photos_file_key", "event_photos", ["file_key"])
    op.create_index("ix_event_photos_thumbnail_key", "event_photos", ["thumbnail_key"])
    op.create_table(
        "event_attachments",
        *_common_columns("event_attachments"),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.CheckConstraint("byte_size >= 0", name=op.f("ck_event_attachments_size_not_negative")),
        sa.CheckConstraint(ATTACHMENT_KINDS, name=op.f("ck_event_attachments_kind")),
    )
    op.create_index("ix_event_attachments_file_key", "event_attachments", ["file_key"])


def downgrade():
    op.drop_table("event_attachments")
    op.drop_table("event_photos")
