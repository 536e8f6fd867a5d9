"""The report's facts as coordinators write them: counted roles, programme, award levels,
one-time form tokens.

Schema: per-role organisation counts on events (参加单位, 参展机构, 参赛队, 帮扶村), the
programme (an ordered JSON list of segments), the kept count of organisations taking part,
the 帮扶村 role, award levels on participations, and the used form tokens.

Data:
- award texts get their level (冠军, 桂冠（一等奖） → 一等奖/冠军; 二等奖 → 二等奖…);
- placeholder organisations and places (names holding "（报道未具名）", made before an
  organisation role could carry a count) become counts: an event's placeholder teams,
  exhibitors or participants raise its count in that role; placeholder village stops raise
  its 帮扶村 count, and its named stops in villages (…村) become named 帮扶村. The
  placeholders are then removed, and SEQUENCE is raised on the events that show them;
- the kept figures count people only (teams are organisations, not people).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

from collections import defaultdict
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

PLACEHOLDER = "%（报道未具名）%"
COUNTED_ROLES = ("participant", "exhibitor", "team", "village")
OLD_ROLES = ("host", "co_organizer", "organizer", "participant", "exhibitor", "team")
AWARD_LEVELS = ("special", "first", "second", "third", "merit", "other")
# Award texts by level, first match wins (特等 before 一等, 一等 before 二等…).
AWARD_WORDS = (
    ("special", ("特等",)),
    ("first", ("一等", "冠军", "桂冠", "金奖", "第一名")),
    ("second", ("二等", "亚军", "银奖", "第二名")),
    ("third", ("三等", "季军", "铜奖", "第三名")),
    ("merit", ("优秀", "鼓励", "入围")),
)

events = sa.table(
    "events",
    sa.column("id", sa.Integer),
    sa.column("sequence", sa.Integer),
    sa.column("updated_at", sa.DateTime(timezone=True)),
    *(sa.column(f"{role}_total", sa.Integer) for role in COUNTED_ROLES),
)
organizations = sa.table(
    "organizations",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("kind", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
locations = sa.table("locations", sa.column("id", sa.Integer), sa.column("name", sa.String))
links = sa.table(
    "event_organizations",
    sa.column("id", sa.Integer),
    sa.column("event_id", sa.Integer),
    sa.column("organization_id", sa.Integer),
    sa.column("role", sa.String),
    sa.column("position", sa.Integer),
)
participations = sa.table(
    "participations",
    sa.column("id", sa.Integer),
    sa.column("event_id", sa.Integer),
    sa.column("organization_id", sa.Integer),
    sa.column("award", sa.String),
    sa.column("award_level", sa.String),
)
stops = sa.table(
    "stops",
    sa.column("id", sa.Integer),
    sa.column("event_id", sa.Integer),
    sa.column("location_id", sa.Integer),
    sa.column("position", sa.Integer),
)


def _in(column, values):
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def upgrade():
    # Columns only, so SQLite adds them in place: rebuilding `events` would delete every row
    # that refers to it (foreign keys are on, and DROP TABLE cascades).
    op.add_column("events", sa.Column("programme", sa.JSON(), nullable=True))
    for role in COUNTED_ROLES:
        _add_count_column(f"{role}_total")
    op.add_column(
        "events", sa.Column("organization_count", sa.Integer(), server_default="0", nullable=False)
    )
    with op.batch_alter_table("event_organizations") as batch:
        batch.drop_constraint(op.f("ck_event_organizations_role"), type_="check")
        batch.create_check_constraint("role", _in("role", (*OLD_ROLES, "village")))
    with op.batch_alter_table("participations") as batch:
        batch.add_column(sa.Column("award_level", sa.String(length=20), nullable=True))
        batch.create_check_constraint("award_level", _in("award_level", AWARD_LEVELS))
    op.create_table(
        "form_submissions",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_form_submissions_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_form_submissions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_form_submissions")),
    )
    op.create_index("ix_form_submissions_event_id", "form_submissions", ["event_id"])
    op.create_index("ix_form_submissions_user_id", "form_submissions", ["user_id"])

    connection = op.get_bind()
    _award_levels(connection)
    _placeholders_to_counts(connection)
    _recount(connection)


def _add_count_column(column):
    """A nullable count that is never negative, the rule in the database on both engines."""
    name = f"ck_events_{column}_not_negative"
    rule = f"{column} IS NULL OR {column} >= 0"
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE events ADD COLUMN {column} INTEGER CONSTRAINT {name} CHECK ({rule})")
    else:
        op.add_column("events", sa.Column(column, sa.Integer(), nullable=True))
        op.create_check_constraint(op.f(name), "events", rule)


def _award_levels(connection):
    level = sa.case(
        *(
            (sa.or_(*(participations.c.award.like(f"%{word}%") for word in words)), code)
            for code, words in AWARD_WORDS
        ),
        else_="other",
    )
    connection.execute(
        participations.update()
        .where(participations.c.award.is_not(None), participations.c.award != "")
        .values(award_level=level)
    )


def _placeholders_to_counts(connection):
    placeholder_organizations = {
        row.id
        for row in connection.execute(
            sa.select(organizations.c.id).where(organizations.c.name.like(PLACEHOLDER))
        )
    }
    placeholder_locations = {
        row.id
        for row in connection.execute(
            sa.select(locations.c.id).where(locations.c.name.like(PLACEHOLDER))
        )
    }
    # event id -> role -> the organisations (named and placeholder) in that role
    members: dict[int, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    with_placeholders: dict[int, set[str]] = defaultdict(set)
    for row in connection.execute(sa.select(links.c.event_id, links.c.organization_id, links.c.role)):
        if row.role in COUNTED_ROLES:
            members[row.event_id][row.role].add(row.organization_id)
            if row.organization_id in placeholder_organizations:
                with_placeholders[row.event_id].add(row.role)
    for row in connection.execute(
        sa.select(participations.c.event_id, participations.c.organization_id).where(
            participations.c.organization_id.is_not(None)
        )
    ):
        members[row.event_id]["team"].add(row.organization_id)
        if row.organization_id in placeholder_organizations:
            with_placeholders[row.event_id].add("team")

    village_stops: dict[int, list] = defaultdict(list)
    if placeholder_locations:
        for row in connection.execute(
            sa.select(stops.c.event_id, stops.c.location_id, locations.c.name)
            .join(locations, locations.c.id == stops.c.location_id)
            .order_by(stops.c.event_id, stops.c.position)
        ):
            village_stops[row.event_id].append(row)
    for event_id, rows in list(village_stops.items()):
        if not any(row.location_id in placeholder_locations for row in rows):
            del village_stops[event_id]

    now = datetime.now(UTC)
    for event_id in set(with_placeholders) | set(village_stops):
        totals = {
            f"{role}_total": len(members[event_id][role]) for role in with_placeholders[event_id]
        }
        if event_id in village_stops:
            rows = village_stops[event_id]
            unnamed = [r for r in rows if r.location_id in placeholder_locations]
            named_villages = set(members[event_id]["village"])
            position = len(
                list(connection.execute(sa.select(links.c.id).where(links.c.event_id == event_id)))
            )
            for row in rows:
                if row.location_id in placeholder_locations or not row.name.endswith("村"):
                    continue
                organization_id = _organization_named(connection, row.name, now)
                if organization_id in named_villages:
                    continue
                named_villages.add(organization_id)
                connection.execute(
                    links.insert().values(
                        event_id=event_id,
                        organization_id=organization_id,
                        role="village",
                        position=position,
                    )
                )
                position += 1
            totals["village_total"] = len(named_villages) + len(unnamed)
        connection.execute(
            events.update()
            .where(events.c.id == event_id)
            .values(**totals, sequence=events.c.sequence + 1, updated_at=now)
        )

    if placeholder_organizations:
        ids = sorted(placeholder_organizations)
        connection.execute(links.delete().where(links.c.organization_id.in_(ids)))
        connection.execute(participations.delete().where(participations.c.organization_id.in_(ids)))
        connection.execute(
            sa.text("DELETE FROM organization_involvements WHERE organization_id IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)
            ),
            {"ids": ids},
        )
        # Only those nothing else refers to (a person, an account, a child organisation).
        connection.execute(
            sa.text(
                "DELETE FROM organizations WHERE id IN :ids"
                " AND id NOT IN (SELECT organization_id FROM people WHERE organization_id IS NOT NULL)"
                " AND id NOT IN (SELECT organization_id FROM users WHERE organization_id IS NOT NULL)"
                " AND id NOT IN (SELECT parent_id FROM organizations WHERE parent_id IS NOT NULL)"
            ).bindparams(sa.bindparam("ids", expanding=True)),
            {"ids": ids},
        )
    if placeholder_locations:
        ids = sorted(placeholder_locations)
        touched = {
            row.event_id
            for row in connection.execute(
                sa.select(stops.c.event_id).where(stops.c.location_id.in_(ids))
            )
        }
        connection.execute(stops.delete().where(stops.c.location_id.in_(ids)))
        for event_id in touched:
            _renumber_stops(connection, event_id)
        connection.execute(locations.delete().where(locations.c.id.in_(ids)))


def _organization_named(connection, name, now):
    """The id of the organisation called `name`, created (as a community) when missing."""
    found = connection.execute(
        sa.select(organizations.c.id).where(organizations.c.name == name)
    ).scalar()
    if found is not None:
        return found
    connection.execute(organizations.insert().values(name=name, kind="community", created_at=now))
    return connection.execute(
        sa.select(organizations.c.id).where(organizations.c.name == name)
    ).scalar()


def _renumber_stops(connection, event_id):
    """Positions 0, 1, 2… again after stops were removed. In ascending order a stop only
    moves down to a position no remaining stop holds any more, so the unique key holds."""
    rows = list(
        connection.execute(
            sa.select(stops.c.id).where(stops.c.event_id == event_id).order_by(stops.c.position)
        )
    )
    for position, row in enumerate(rows):
        connection.execute(stops.update().where(stops.c.id == row.id).values(position=position))


RECOUNT = """
UPDATE events SET
    participation_count = (
        SELECT count(*) FROM participations p
        WHERE p.event_id = events.id AND p.person_id IS NOT NULL),
    attended_count = (
        SELECT count(*) FROM participations p
        WHERE p.event_id = events.id AND p.person_id IS NOT NULL AND p.attended),
    attended_hours = (
        SELECT sum(p.hours) FROM participations p
        WHERE p.event_id = events.id AND p.person_id IS NOT NULL AND p.attended),
    organization_headcount = (
        SELECT sum(l.headcount) FROM event_organizations l WHERE l.event_id = events.id)
"""
NAMED_IN_ROLE = (
    "(SELECT count(*) FROM event_organizations l WHERE l.event_id = events.id AND l.role = '{role}')"
)
NAMED_TEAMS_BESIDES = (
    "(SELECT count(*) FROM participations p WHERE p.event_id = events.id"
    " AND p.organization_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM event_organizations l"
    " WHERE l.event_id = p.event_id AND l.organization_id = p.organization_id"
    " AND l.role = 'team'))"
)
INVOLVEMENTS = """
INSERT INTO organization_involvements (event_id, organization_id, hosted, co_organized, took_part)
SELECT event_id, organization_id, max(hosted) = 1, max(co_organized) = 1, max(took_part) = 1
FROM (
    SELECT event_id, organization_id,
           CASE WHEN role = 'host' THEN 1 ELSE 0 END AS hosted,
           CASE WHEN role IN ('co_organizer', 'organizer') THEN 1 ELSE 0 END AS co_organized,
           CASE WHEN role IN ('participant', 'exhibitor', 'team', 'village') THEN 1 ELSE 0 END
               AS took_part
    FROM event_organizations
    UNION ALL
    SELECT event_id, organization_id, 0, 0, 1
    FROM participations
    WHERE organization_id IS NOT NULL AND attended
) AS roles_and_teams
GROUP BY event_id, organization_id
"""


def _recount(connection):
    """The kept figures, people only, and the organisations taking part."""
    connection.execute(sa.text(RECOUNT))
    parts = []
    for role in COUNTED_ROLES:
        named = NAMED_IN_ROLE.format(role=role)
        if role == "team":
            named = f"({named} + {NAMED_TEAMS_BESIDES})"
        stated = f"coalesce({role}_total, 0)"
        parts.append(f"CASE WHEN {stated} > {named} THEN {stated} ELSE {named} END")
    connection.execute(sa.text(f"UPDATE events SET organization_count = {' + '.join(parts)}"))
    connection.execute(sa.text("DELETE FROM organization_involvements"))
    connection.execute(sa.text(INVOLVEMENTS))


def downgrade():
    connection = op.get_bind()
    connection.execute(sa.text("DELETE FROM event_organizations WHERE role = 'village'"))
    op.drop_table("form_submissions")
    with op.batch_alter_table("participations") as batch:
        batch.drop_constraint(op.f("ck_participations_award_level"), type_="check")
        batch.drop_column("award_level")
    with op.batch_alter_table("event_organizations") as batch:
        batch.drop_constraint(op.f("ck_event_organizations_role"), type_="check")
        batch.create_check_constraint("role", _in("role", OLD_ROLES))
    # SQLite (3.35+) drops a column in place; its column CHECK goes with it.
    sqlite = connection.dialect.name == "sqlite"
    for role in COUNTED_ROLES:
        if not sqlite:
            op.drop_constraint(op.f(f"ck_events_{role}_total_not_negative"), "events", "check")
        op.drop_column("events", f"{role}_total")
    op.drop_column("events", "programme")
    op.drop_column("events", "organization_count")
