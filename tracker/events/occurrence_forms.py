"""Forms of a series' single occurrences: change only this one, and add an extra date."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import InputRequired

from tracker.events.exceptions import LIMITS
from tracker.forms import REQUIRED, TEXT_FILTERS, BlankDateField, BlankTimeField, too_long
from tracker.models import Event


class _OccurrenceTimes(FlaskForm):
    """A date, with a start and an end time unless the series is all-day."""

    date = BlankDateField(_l("日期"), validators=[InputRequired(REQUIRED)])
    start_time = BlankTimeField(_l("开始时间"))
    end_time = BlankTimeField(_l("结束时间"))

    def fill_from(self, event: Event, starts_at: datetime, ends_at: datetime) -> None:
        local_start, local_end = starts_at.astimezone(event.zone), ends_at.astimezone(event.zone)
        self.date.data = local_start.date()
        if not event.is_all_day:
            self.start_time.data = local_start.time()
            self.end_time.data = local_end.time()

    def times(self, event: Event) -> tuple[datetime, datetime]:
        """The occurrence's UTC start and end: an all-day one on the day, as long as the series';
        a timed one ends on the day it starts, or as many days later as the series does."""
        zone = event.zone
        if event.is_all_day:
            start = datetime.combine(self.date.data, time.min, tzinfo=zone)
            return start.astimezone(UTC), (start + (event.ends_at - event.starts_at)).astimezone(
                UTC
            )
        days = (event.local_ends_at.date() - event.local_starts_at.date()).days
        start_time = self.start_time.data or event.local_starts_at.time()
        end_time = self.end_time.data or event.local_ends_at.time()
        start = datetime.combine(self.date.data, start_time, tzinfo=zone)
        end = datetime.combine(self.date.data + timedelta(days=days), end_time, tzinfo=zone)
        return start.astimezone(UTC), end.astimezone(UTC)


class OccurrenceChangeForm(_OccurrenceTimes):
    """Change only this occurrence: its time, title, place or note, or cancel it."""

    occurrence = HiddenField()
    title = StringField(
        _l("本次标题"),
        validators=[too_long(LIMITS["title"])],
        filters=TEXT_FILTERS,
        description=_l("留空则沿用活动标题。"),
    )
    location = StringField(
        _l("本次地点"),
        validators=[too_long(LIMITS["location"])],
        filters=TEXT_FILTERS,
        description=_l("留空则沿用活动地点。"),
    )
    note = StringField(
        _l("备注（内部）"),
        validators=[too_long(LIMITS["note"])],
        filters=TEXT_FILTERS,
        description=_l("例如改期原因；只有登录的协调员能看到，不写入日历订阅。"),
    )
    cancelled = BooleanField(_l("取消此次"))


class OccurrenceAddForm(_OccurrenceTimes):
    """An extra date of the series."""
