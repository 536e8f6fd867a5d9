"""An event's fields, declared once.

Everything else that lists fields is derived from `EVENT_FIELDS`: the values the services
copy onto an event, the columns whose change raises SEQUENCE, the labels of the history and
the conflict page, the audit snapshots, the columns feeds read and the properties feeds write
and the importer reads (tracker.feeds.properties).

Two headcounts must never be confused:

- `reported_headcount` is the figure a coordinator typed (报告人数), stored on the event,
  with `reported_headcount_is_approximate` for "100+";
- `Event.shown_headcount` is what the headcount rule gives (the reported figure, else the
  organisations' summed headcounts, else the named participants); pages and DESCRIPTION show
  it, and it is never stored or imported.
"""

from __future__ import annotations

from dataclasses import dataclass, field, make_dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Optional

from flask_babel import lazy_gettext as _l

from tracker.models import DEFAULT_TIMEZONE

# Feed audiences: every feed carries a "public" field, only private feeds a "private" one.
PUBLIC = "public"
PRIVATE = "private"


@dataclass(frozen=True)
class EventField:
    """One field of an event.

    `kind` says how a value is shown, compared and carried in a feed:
    text (one line), long_text, moment (an aware UTC datetime), zone (an IANA name),
    flag, rule (an RRULE), code (a stored code with labels), count (a whole number),
    segments (the programme: an ordered list of {title, time, note} kept on the event),
    entry (a directory entry: category, campaign), rows (stops, organisations,
    participants) and calendar_text (iCalendar components kept as text: alarms).
    """

    name: str
    label: object
    kind: str
    seen_by_subscribers: bool
    feeds: Optional[str]
    audited: bool = True
    # The value an input has when its source does not give one; REQUIRED: it must.
    default: Any = None
    # The Event column when it differs from the name (an entry's foreign key).
    column: Optional[str] = None
    # Whether the event form edits it; a field only files carry (an imported organiser,
    # alarms…) is left as it is when the form saves.
    in_form: bool = True

    @property
    def column_name(self) -> str:
        return self.column or self.name

    @property
    def is_scalar(self) -> bool:
        """Stored on the event row itself (not an entry or rows)."""
        return self.kind not in ("entry", "rows")

    def carried_in(self, audience: str) -> bool:
        """Whether a feed for `audience` (PUBLIC or PRIVATE) carries this field."""
        return self.feeds == PUBLIC or (self.feeds == PRIVATE and audience == PRIVATE)


REQUIRED = object()

EVENT_FIELDS: tuple[EventField, ...] = (
    EventField("title", _l("标题"), "text", True, PUBLIC, default=REQUIRED),
    EventField("category", _l("类别"), "entry", True, PUBLIC, column="category_id"),
    EventField("campaign", _l("专项活动"), "entry", True, PUBLIC, column="campaign_id"),
    EventField("theme", _l("主题"), "text", True, PUBLIC),
    EventField("starts_at", _l("开始"), "moment", True, PUBLIC, default=REQUIRED),
    EventField("ends_at", _l("结束"), "moment", True, PUBLIC, default=REQUIRED),
    EventField("timezone", _l("时区"), "zone", True, PUBLIC, default=DEFAULT_TIMEZONE),
    EventField("is_all_day", _l("全天"), "flag", True, PUBLIC, default=False),
    EventField("recurrence_rule", _l("重复"), "rule", True, PUBLIC),
    EventField("status", _l("状态"), "code", True, PUBLIC, default="confirmed"),
    EventField("visibility", _l("公开范围"), "code", True, PUBLIC, default="public"),
    EventField("reported_headcount", _l("报告人数"), "count", True, PUBLIC),
    EventField(
        "reported_headcount_is_approximate", _l("人数为约数"), "flag", True, PUBLIC, default=False
    ),
    EventField("date_is_approximate", _l("日期为估计"), "flag", False, PUBLIC, default=False),
    EventField("description", _l("活动简介"), "long_text", True, PUBLIC),
    EventField("outcome", _l("活动成果"), "long_text", True, PUBLIC),
    EventField("notes", _l("备注"), "long_text", False, None),
    EventField("programme", _l("活动环节"), "segments", True, PUBLIC),
    EventField("stops", _l("行程"), "rows", True, PUBLIC),
    EventField("organizations", _l("组织单位"), "rows", True, PUBLIC),
    # How many organisations take part in a counted role, named or not (Event.role_counts).
    EventField("participant_total", _l("参加单位总数"), "count", True, PUBLIC),
    EventField("exhibitor_total", _l("参展机构总数"), "count", True, PUBLIC),
    EventField("team_total", _l("参赛队总数"), "count", True, PUBLIC),
    EventField("village_total", _l("帮扶村总数"), "count", True, PUBLIC),
    EventField("participants", _l("参与者"), "rows", True, PUBLIC),
    # What an imported file carries and an export keeps (issue 11 point 5). TRANSP: None is
    # "not stated" (all-day events are then TRANSPARENT, others OPAQUE). The organiser's
    # address is contact data and its name may be a person's: private feeds only. Alarms
    # are the importer's own reminders (VALARM text): private feeds only.
    EventField("transparency", _l("忙闲"), "code", True, PUBLIC, in_form=False),
    EventField("extra_categories", _l("其他类别"), "text", True, PUBLIC, in_form=False),
    EventField("organizer_name", _l("组织者"), "text", True, PRIVATE, in_form=False),
    EventField("organizer_address", _l("组织者地址"), "text", True, PRIVATE, in_form=False),
    EventField("alarms", _l("提醒"), "calendar_text", True, PRIVATE, in_form=False),
)

FIELDS_BY_NAME = {field.name: field for field in EVENT_FIELDS}
# What the event form gives (`EventInput.given`): the fields only files carry stay as they are.
FORM_FIELDS = frozenset(field.name for field in EVENT_FIELDS if field.in_form)

# The event's own columns, in declaration order: what the services copy onto an event.
SCALAR_FIELDS = tuple(field.name for field in EVENT_FIELDS if field.is_scalar)
ENTRY_FIELDS = tuple(field.name for field in EVENT_FIELDS if field.kind == "entry")
ROW_FIELDS = tuple(field.name for field in EVENT_FIELDS if field.kind == "rows")

# Columns whose change a calendar subscriber would see: a change raises SEQUENCE.
SUBSCRIBER_VISIBLE_COLUMNS = tuple(
    field.column_name
    for field in EVENT_FIELDS
    if field.seen_by_subscribers and field.kind != "rows"
)

# Labels for the history and the conflict page, in form order. Entries recorded before a
# field was renamed keep their old key; they are shown under the new label.
FIELD_LABELS = {field.name: field.label for field in EVENT_FIELDS if field.audited}
# Exceptions of a series (tracker.events.exceptions) are rows of their own, not a field of the
# event form; the history shows their changes under this name.
OCCURRENCE_CHANGES = "occurrence_changes"
FIELD_LABELS[OCCURRENCE_CHANGES] = _l("单次变更")
RENAMED_FIELDS = {
    "headcount": "reported_headcount",
    "headcount_is_approximate": "reported_headcount_is_approximate",
}


# Long texts: the form shows them at its end; the event page shows the description under
# the facts and the others after the itinerary, organisations and participants.
LONG_TEXT_FIELDS = tuple(field for field in EVENT_FIELDS if field.kind == "long_text")
CLOSING_SECTIONS = tuple(field for field in LONG_TEXT_FIELDS if field.name != "description")


def feed_scalar_fields(audience: str) -> tuple[EventField, ...]:
    """The event's own columns a feed for `audience` carries."""
    return tuple(field for field in EVENT_FIELDS if field.is_scalar and field.carried_in(audience))


# --- the one input shape ---------------------------------------------------------------


@dataclass
class EntryRef:
    """A directory entry named by a form row, a file or the demo data: found by `match` (else
    `fallback`), or created with `defaults` when the event is saved."""

    model: type
    match: dict[str, Any]
    defaults: dict[str, Any] = field(default_factory=dict)
    fallback: Optional[dict[str, Any]] = None

    @property
    def name(self) -> str:
        return str(next(iter(self.match.values())))


@dataclass
class StopRow:
    """An itinerary stop: a location (an entry, or a reference to find or create)."""

    location: Any
    starts_at: Optional[datetime] = None
    note: Optional[str] = None


@dataclass
class OrganizationRow:
    """An organisation's role in the event."""

    organization: Any
    role: str
    headcount: Optional[int] = None
    note: Optional[str] = None


@dataclass
class ParticipationRow:
    """A person, or an organisation as a team, taking part."""

    person: Any
    organization: Any
    role: str = "participant"
    attended: bool = True
    hours: Optional[Decimal] = None
    award: Optional[str] = None
    rank: Optional[int] = None
    award_level: Optional[str] = None


# Bounds of a programme, for the form and the importer alike.
MAX_SEGMENTS = 50
SEGMENT_TITLE_MAX = 200
SEGMENT_NOTE_MAX = 300


def segment(title: str, time: Optional[str] = None, note: Optional[str] = None) -> dict:
    """One programme segment as the event keeps it: a title, a local "HH:MM" time or None,
    a note or None."""
    return {"title": title, "time": time or None, "note": note or None}


# "teams" in `EventInput.given`: the team rows of `participants` replace the event's teams
# and its people stay (files carry teams, never people).
TEAMS = "teams"
# "people" in `EventInput.given`: the person rows of `participants` (a foreign file's
# ATTENDEEs) replace the event's people and its teams stay.
PEOPLE = "people"


def _input_fields() -> list[tuple]:
    required, optional = [], []
    for declared in EVENT_FIELDS:
        if declared.default is REQUIRED:
            required.append((declared.name, Any))
        elif declared.kind == "rows":
            optional.append((declared.name, list, field(default_factory=list)))
        else:
            optional.append((declared.name, Any, field(default=declared.default)))
    return [
        *required,
        *optional,
        # Set by the importer and the demo data; a form leaves them alone.
        ("uid", Optional[str], field(default=None)),
        ("sequence", int, field(default=0)),
        ("updated_at", Optional[datetime], field(default=None)),
        # The fields this source gives (names of EVENT_FIELDS, or TEAMS); None: every one.
        ("given", Optional[frozenset], field(default=None)),
    ]


EventInput = make_dataclass(
    "EventInput",
    _input_fields(),
    namespace={
        "__doc__": "An event's values as plain data and directory entries (or EntryRefs): "
        "what the form, the importer and the demo data give the event services. Its fields "
        "are EVENT_FIELDS.",
        "__module__": __name__,
    },
)


def programme_text(segments: list[dict], separator: str = "；") -> str:
    """The programme in order as one text: "1. 安全知识必答题；2. 14:30 安全谜语竞猜（说明）"."""
    return separator.join(
        f"{number}. "
        + (f"{item['time']} " if item.get("time") else "")
        + item["title"]
        + (f"（{item['note']}）" if item.get("note") else "")
        for number, item in enumerate(segments, start=1)
    )
