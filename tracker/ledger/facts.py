"""An event's ledger page (活动记录表) as labelled lines: what the Word ledger and the printed
event page both show, so the two never disagree."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from flask_babel import gettext as _

from tracker import labels
from tracker.i18n import local_datetime
from tracker.models import Event, Photo
from tracker.recurrence import describe_recurrence
from tracker.web import format_hours

# Roles of organisations that run the activity, each a row of its own.
RUNNING_ROLES = ("host", "co_organizer", "organizer")
# Roles of organisations that take part (参加对象).
TAKING_PART_ROLES = ("participant", "exhibitor", "team")


@dataclass
class LedgerRow:
    """A row of the record table: its label and its lines (an empty list shows a blank)."""

    label: str
    lines: list[str]


@dataclass
class LedgerPhoto:
    photo_id: int
    thumbnail_key: str
    caption: str
    width: int
    height: int


@dataclass
class SignInRow:
    number: int
    name: str
    organization: str
    role: str
    hours: str
    award: str


@dataclass
class LedgerPage:
    """One activity's ledger page; `sign_in` is None when the reader may not see names."""

    event_id: int
    title: str
    rows: list[LedgerRow]
    photos: list[LedgerPhoto] = field(default_factory=list)
    sign_in: Optional[list[SignInRow]] = None
    date_text: str = ""


def time_text(event: Event) -> str:
    """When, in the event's own zone: a day, or a start and an end."""
    zone = event.zone
    if event.is_all_day:
        text = local_datetime(event.starts_at, zone, with_time=False)
        if event.last_local_day != event.local_starts_at.date():
            last = event.last_local_day
            text += " – " + _("%(y)s年%(m)s月%(d)s日", y=last.year, m=last.month, d=last.day)
        text += _("（全天）")
    else:
        text = local_datetime(event.starts_at, zone)
        if event.local_ends_at.date() == event.local_starts_at.date():
            text += " – " + event.local_ends_at.strftime("%H:%M")
        else:
            text += " – " + local_datetime(event.ends_at, zone)
    if event.date_is_approximate:
        text += _("（日期为估计）")
    return text


def _stop_lines(event: Event) -> list[str]:
    lines = []
    numbered = len(event.stops) > 1
    for index, stop in enumerate(event.stops, start=1):
        location = stop.location
        place = location.name
        details = [part for part in (location.city, location.address) if part and part not in place]
        if details:
            place += "（" + "，".join(details) + "）"
        if stop.starts_at:
            place += " " + stop.starts_at.astimezone(event.zone).strftime("%H:%M")
        if stop.note:
            place += _("：%(note)s", note=stop.note)
        lines.append(f"{index}. {place}" if numbered else place)
    return lines


def _names(event: Event, role: str) -> list[str]:
    return [link.organization.name for link in event.organization_links if link.role == role]


def _taking_part_lines(event: Event) -> list[str]:
    """The organisations taking part, by role: a counted role as "参赛队 10 支（具名 3 支）"
    followed by the named ones; then how many people are named."""
    counts = {count.role: count for count in event.role_counts()}
    lines = []
    for role in ("participant", "exhibitor", "team", "village"):
        names = [
            link.organization.name
            + (_("（%(n)s人）", n=link.headcount) if link.headcount is not None else "")
            for link in event.organization_links
            if link.role == role
        ]
        if role == "team":
            names += [
                team.organization.name
                for team in event.teams_in_award_order
                if team.organization.name not in names
            ]
        heading = str(counts[role]) if role in counts else labels.ORGANIZATION_ROLE_LABELS[role]
        if names:
            lines.append(f"{heading}：" + "、".join(names))
        elif role in counts:
            lines.append(heading)
    people = [p for p in event.participations if p.person is not None]
    if people:
        lines.append(_("登记人员 %(n)s 人", n=len(people)))
    return lines


def headcount_text(event: Event) -> str:
    headcount = event.shown_headcount
    if headcount is None:
        return _("未记录")
    text = _("%(n)s人", n=str(headcount))
    return text + _("（约数）") if headcount.is_approximate else text


def _outcome_lines(event: Event) -> list[str]:
    lines = (event.outcome or "").splitlines()
    ranked = sorted(
        (p for p in event.participations if p.organization is not None and (p.award or p.rank)),
        key=lambda p: (p.rank or 999, p.position),
    )
    for participation in ranked:
        award = participation.award or _("第%(n)s名", n=participation.rank)
        lines.append(
            _("获奖：%(award)s　%(name)s", award=award, name=participation.organization.name)
        )
    return [line for line in lines if line.strip()]


def ledger_page(
    event: Event,
    photos: list[Photo],
    *,
    include_sign_in: bool,
    include_notes: bool,
) -> LedgerPage:
    """The event's 活动记录表; names of people only with `include_sign_in`, internal notes
    only with `include_notes`."""
    category = event.category.name_zh if event.category else ""
    rows = [
        LedgerRow(_("活动名称"), [event.title]),
        LedgerRow(_("活动类别"), [category] if category else []),
        LedgerRow(_("时间"), [time_text(event)]),
        *(
            [LedgerRow(_("重复"), [describe_recurrence(event.recurrence_rule, event.zone)])]
            if event.is_recurring
            else []
        ),
        LedgerRow(_("地点"), _stop_lines(event)),
    ]
    for role in RUNNING_ROLES:
        names = _names(event, role)
        if names or role == "host":
            rows.append(
                LedgerRow(
                    _("%(role)s单位", role=labels.ORGANIZATION_ROLE_LABELS[role]),
                    ["、".join(names)],
                )
            )
    if event.campaign:
        campaign = event.campaign.name
        if event.campaign.theme:
            campaign += _("（主题：%(theme)s）", theme=event.campaign.theme)
        rows.append(LedgerRow(_("专项活动"), [campaign]))
    if event.theme:
        rows.append(LedgerRow(_("活动主题"), [f"“{event.theme}”"]))
    rows += [
        LedgerRow(_("参加对象"), _taking_part_lines(event)),
        LedgerRow(_("参加人数"), [headcount_text(event)]),
        LedgerRow(_("活动内容"), (event.description or "").splitlines()),
        LedgerRow(_("活动成效"), _outcome_lines(event)),
    ]
    if include_notes and event.notes:
        rows.append(LedgerRow(_("备注"), event.notes.splitlines()))
    page = LedgerPage(
        event_id=event.id,
        title=event.title,
        rows=rows,
        photos=[
            LedgerPhoto(
                photo.id, photo.thumbnail_key, photo.caption or "", photo.width, photo.height
            )
            for photo in photos
        ],
        date_text=local_datetime(event.starts_at, event.zone, with_time=False),
    )
    if include_sign_in:
        attended = [p for p in event.participations if p.person is not None and p.attended]
        page.sign_in = [
            SignInRow(
                number,
                participation.person.name,
                participation.person.organization.name if participation.person.organization else "",
                str(labels.PARTICIPATION_ROLE_LABELS[participation.role]),
                format_hours(participation.hours) if participation.hours is not None else "",
                participation.award or "",
            )
            for number, participation in enumerate(attended, start=1)
        ]
    return page
