"""Form pieces every feature shares: choosing a directory entry by id, optional dates and
times, cross-field rules and Chinese messages (msgids for Flask-Babel)."""

import re
from collections.abc import Callable
from datetime import datetime, time
from typing import Any, Optional

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, inspect, select
from wtforms import (
    DateField,
    SelectChoice,
    SelectField,
    TimeField,
)
from wtforms.utils import unset_value
from wtforms.validators import (
    Length,
    StopValidation,
    ValidationError,
)

from tracker.extensions import db

REQUIRED = _l("请填写此项。")
INVALID_CHOICE = _l("所选项无效，请重新选择。")
INVALID_DATE = _l("日期格式不正确，请使用 YYYY-MM-DD。")
INVALID_TIME = _l("时间格式不正确，请使用 HH:MM。")
INVALID_NUMBER = _l("请输入数字。")
INVALID_WHOLE_NUMBER = _l("请输入整数。")
NOT_CHOSEN = _l("（未选择）")
NOT_FOUND = _l("所选项目不存在，可能已被删除，请重新选择。")
DUPLICATE_NAME = _l("已存在同名条目，请换一个名称。")
UNKNOWN_ID = -1
# Dates outside these years are typing mistakes, and year 1 cannot even be turned into UTC.
FIRST_YEAR, LAST_YEAR = 1900, 9998
DATE_OUT_OF_RANGE = _l("日期须在1900年至9998年之间。")
# C0 controls except tab, line feed and carriage return: invisible, and forbidden in iCalendar.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Line breaks (and the invisible controls) have no place in a one-line field: a name, a title.
LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")


def too_long(maximum: int) -> Length:
    """The length rule with its Chinese message."""
    return Length(max=maximum, message=_l("不能超过 %(max)d 个字符。"))


def coerce_id(value: Any) -> Optional[int]:
    """A select's value as an id: None when blank, UNKNOWN_ID when it is not a number.

    Never raises, so a tampered value reaches the lookup and gets a Chinese message.
    """
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not text:
        return None
    return int(text) if text.isdigit() and len(text) < 10 else UNKNOWN_ID


def code_select(label, codes: dict, default: Optional[str] = None, **kwargs) -> SelectField:
    """A select of stored codes (roles, kinds, statuses) with their translated labels."""
    return SelectField(
        label,
        choices=lambda: [SelectChoice(code, str(text)) for code, text in codes.items()],
        default=default,
        invalid_choice_message=INVALID_CHOICE,
        **kwargs,
    )


class EntrySelectField(SelectField):
    """A select of directory entries by id.

    Choices load once per request (a form with ten team rows queries once), and so do the
    entries submitted (thirty person rows look their people up in one query); a tampered or
    deleted id gets a Chinese message; the chosen entry is left in `.entry`. `load_options`
    (such as `selectinload(...)`) load with the choices what `describe` reads.
    """

    def __init__(
        self,
        label=None,
        validators=None,
        *,
        model,
        describe: Callable[[Any], str] = lambda entry: entry.name,
        order_by=None,
        load_options=(),
        blank=NOT_CHOSEN,
        not_found=NOT_FOUND,
        **kwargs,
    ):
        super().__init__(
            label,
            validators,
            coerce=coerce_id,
            choices=self._load_choices,
            validate_choice=False,
            **kwargs,
        )
        self.model = model
        self.describe = describe
        self.order_by = order_by
        self.load_options = tuple(load_options)
        self.blank = blank
        self.not_found = not_found
        self.entry = None

    def process_data(self, value) -> None:
        """Accept an entry object (from `obj=`) as well as an id."""
        self.data = coerce_id(getattr(value, "id", value))

    def process(self, formdata, data=unset_value, extra_filters=None) -> None:
        """Read the value, and note its id for the request's one lookup of this model."""
        super().process(formdata, data, extra_filters)
        if self.data is not None and self.data > 0:
            self._lookups()[0].add(self.data)

    def _lookups(self) -> tuple[set[int], dict[int, Any]]:
        """This request's ids of the model: those its fields hold, and those looked up."""
        return _request_cache("entry_lookups").setdefault(self.model, (set(), {}))

    def _load_choices(self) -> list[SelectChoice]:
        key = (self.model.__name__, self.describe, str(self.order_by))
        cache = _request_cache("entry_choices")
        if key not in cache:
            statement = (
                select(self.model)
                .options(*self.load_options)
                .order_by(self.order_by if self.order_by is not None else self.model.id)
            )
            cache[key] = [
                SelectChoice(str(entry.id), self.describe(entry))
                for entry in db.session.scalars(statement)
            ]
        return [SelectChoice("", str(self.blank)), *cache[key]]

    def pre_validate(self, form) -> None:
        self.entry = None
        if self.data is None:
            return
        wanted, found = self._lookups()
        if self.data > 0 and self.data not in found:
            missing = (wanted | {self.data}) - found.keys()
            found.update((entry_id, _held_entry(self.model, entry_id)) for entry_id in missing)
            unknown = [entry_id for entry_id in missing if found[entry_id] is None]
            if unknown:
                statement = select(self.model).where(self.model.id.in_(unknown))
                found.update((entry.id, entry) for entry in db.session.scalars(statement))
        entry = found.get(self.data)
        if entry is None:
            raise ValidationError(self.not_found)
        self.entry = entry


def _held_entry(model, entry_id: int):
    """The entry when the session already holds it loaded (`session.get` would not query)."""
    entry = db.session.identity_map.get(db.session.identity_key(model, entry_id))
    return entry if entry is not None and not inspect(entry).expired else None


def _request_cache(name: str) -> dict:
    """A dict kept for the rest of the current request (a fresh one outside requests)."""
    if not has_request_context():
        return {}
    if not hasattr(request, name):
        setattr(request, name, {})
    return getattr(request, name)


class BlankDateField(DateField):
    """A date that may be left blank (data None) while later validators still run."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("invalid_value_message", INVALID_DATE)
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        if valuelist and not str(valuelist[0]).strip():
            self.data = None
            return
        super().process_formdata(valuelist)
        if self.data is not None and not FIRST_YEAR <= self.data.year <= LAST_YEAR:
            self.data = None
            raise ValueError(DATE_OUT_OF_RANGE)


class WithinYears:
    """Validator for date-time fields: the year lies between FIRST_YEAR and LAST_YEAR."""

    def __call__(self, form, field) -> None:
        if field.data is not None and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
            raise ValidationError(DATE_OUT_OF_RANGE)


class BlankTimeField(TimeField):
    """A time of day that may be left blank (data None) while later validators still run."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("invalid_value_message", INVALID_TIME)
        super().__init__(label, validators, format=["%H:%M", "%H:%M:%S"], **kwargs)

    def process_formdata(self, valuelist):
        if valuelist and not str(valuelist[0]).strip():
            self.data = None
            return
        super().process_formdata(valuelist)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        return self.data.strftime("%H:%M") if self.data else ""


class EndsAfterStart:
    """Cross-field rule: this end date (plus an optional end time) is not before the start.

    Attach to the end's date field. `start_time`/`end_time` name time fields when the moment
    has one; `blank_means_start_day` treats a blank end date as the start's day (a one-day
    event), otherwise a blank end is simply not checked. Processing errors stop the check.
    """

    def __init__(
        self,
        start_date: str,
        message,
        *,
        start_time: Optional[str] = None,
        end_time: Optional[str] = None,
        blank_means_start_day: bool = False,
        skip_times_if: Optional[str] = None,
    ):
        self.start_date = start_date
        self.start_time = start_time
        self.end_time = end_time
        self.message = message
        self.blank_means_start_day = blank_means_start_day
        self.skip_times_if = skip_times_if

    def __call__(self, form, field) -> None:
        start_field = form[self.start_date]
        if field.errors or start_field.errors or start_field.data is None:
            return
        end_day = field.data
        if end_day is None:
            if not self.blank_means_start_day:
                return
            end_day = start_field.data
        use_times = self.start_time and self.end_time
        if self.skip_times_if and form[self.skip_times_if].data:
            use_times = False
        if use_times:
            start_time, end_time = form[self.start_time], form[self.end_time]
            if start_time.errors or end_time.errors:
                return
            start = datetime.combine(start_field.data, start_time.data or time.min)
            end = datetime.combine(end_day, end_time.data or time.max)
            if end < start:
                raise ValidationError(self.message)
        elif end_day < start_field.data:
            raise ValidationError(self.message)


class RequiredUnless:
    """Cross-field rule: required unless a checkbox is ticked (a time unless all-day)."""

    def __init__(self, checkbox: str, message=REQUIRED):
        self.checkbox = checkbox
        self.message = message

    def __call__(self, form, field) -> None:
        if form[self.checkbox].data:
            field.errors[:] = []
            raise StopValidation()
        if field.data is None and not field.errors:
            raise StopValidation(self.message)


class BothOrNeither:
    """Cross-field rule: this field and another are filled in together (latitude/longitude)."""

    def __init__(self, other: str, message):
        self.other = other
        self.message = message

    def __call__(self, form, field) -> None:
        if (field.data is None) != (form[self.other].data is None):
            raise ValidationError(self.message)


class Unique:
    """Lookup rule: no other entry has this value in the column (names, slugs)."""

    def __init__(self, column, message=DUPLICATE_NAME):
        self.column = column
        self.message = message

    def __call__(self, form, field) -> None:
        value = (field.data or "").strip()
        if not value:
            return
        model = self.column.class_
        statement = select(model.id).where(func.lower(self.column) == value.lower())
        editing = getattr(form, "editing", None)
        if editing is not None and editing.id is not None:
            statement = statement.where(model.id != editing.id)
        if db.session.scalar(statement.limit(1)) is not None:
            raise ValidationError(self.message)


def strip_long_text(value):
    """Filter for text areas: trim surrounding blanks and drop invisible control characters
    (line breaks stay)."""
    return CONTROL_CHARACTERS.sub("", value).strip() if isinstance(value, str) else value


def strip_text(value):
    """Filter for one-line fields: as `strip_long_text`, with line breaks turned into a space
    (a pasted name keeps its words, and no CR or LF reaches a header, a feed or a CSV)."""
    if not isinstance(value, str):
        return value
    return strip_long_text(LINE_BREAKS.sub(" ", value))


def blank_to_none(value):
    """Filter: an empty text becomes None, so it is stored as NULL."""
    return value or None


# One-line text fields; LONG_TEXT_FILTERS for text areas.
TEXT_FILTERS = [strip_text, blank_to_none]
LONG_TEXT_FILTERS = [strip_long_text, blank_to_none]
