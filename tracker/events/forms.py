"""The event form: main fields, recurrence, and repeatable rows for stops, organisations and
participants (plain `Form` rows inside `FieldList(FormField(...))`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from icalendar import vRecur
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.core import UnboundField
from wtforms.utils import unset_value
from wtforms.validators import (
    DataRequired,
    InputRequired,
    NumberRange,
    ValidationError,
)
from wtforms.validators import Optional as OptionalValidator

from tracker import labels
from tracker.directory.picker_field import EntryPickerField
from tracker.events.awards import guess_award_level
from tracker.events.fields import (
    FORM_FIELDS,
    LONG_TEXT_FIELDS,
    MAX_SEGMENTS,
    SCALAR_FIELDS,
    SEGMENT_NOTE_MAX,
    SEGMENT_TITLE_MAX,
    EntryRef,
    EventInput,
    OrganizationRow,
    ParticipationRow,
    StopRow,
    segment,
)
from tracker.forms import (
    INVALID_CHOICE,
    INVALID_NUMBER,
    INVALID_WHOLE_NUMBER,
    LONG_TEXT_FILTERS,
    REQUIRED,
    TEXT_FILTERS,
    BlankDateField,
    BlankTimeField,
    EndsAfterStart,
    EntrySelectField,
    RequiredUnless,
    WithinYears,
    code_select,
    strip_text,
    too_long,
)
from tracker.headcounts import MAX_HEADCOUNT, HeadcountError, parse_headcount
from tracker.i18n import current_language
from tracker.models import (
    COUNTED_TOTAL_COLUMNS,
    DEFAULT_TIMEZONE,
    Campaign,
    Category,
    Event,
    Location,
    Organization,
    Person,
)
from tracker.recurrence import (
    MAX_COUNT,
    end_of_series,
    first,
    is_valid_rule,
    parse_rule,
    rule_problem,
    rule_text,
    until_day,
)

# Most rows of each list one event may have: room for a large contest or a long visit, and
# a bound on what one post can make the server build.
MAX_STOPS = 50
MAX_ORGANIZATIONS = 100
MAX_PARTICIPANTS = 500
MAX_ORGANIZATION_TOTAL = 100_000
COMMON_TIMEZONES = (
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Macau",
    "Asia/Taipei",
    "Asia/Tokyo",
    "Asia/Singapore",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "UTC",
)
FREQUENCY_LABELS = {
    "": _l("不重复"),
    "DAILY": _l("每天"),
    "WEEKLY": _l("每周"),
    "MONTHLY": _l("每月"),
    "YEARLY": _l("每年"),
}
MONTHLY_BY_LABELS = {
    "monthday": _l("按日期（每月的同一天）"),
    "weekday": _l("按星期（如每月第一个周五）"),
}
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
HEADCOUNT_RANGE = _l("人数应在 0 到 1000000 之间。")
ROW_IS_INCOMPLETE = _l("这一行还没填完：请选择，或点“删除”去掉这一行。")


class HeadcountField(StringField):
    """A headcount typed as people write it (100, 100+, 约100, 一百…; tracker.headcounts).

    `data` is the number; `is_approximate` says whether the text gave an approximate one.
    Text that is not a headcount gets a message beside the field, never silently dropped.
    """

    is_approximate = False

    def process_formdata(self, valuelist):
        self.is_approximate = False
        if not valuelist:
            return
        try:
            if len(str(valuelist[0])) > 30:
                raise HeadcountError(valuelist[0])
            headcount = parse_headcount(valuelist[0])
        except HeadcountError as error:
            self.data = None
            if error.too_large:
                raise ValueError(HEADCOUNT_RANGE) from error
            raise ValueError(
                _l(
                    "无法识别人数“%(value)s”：请填写如 100、100+、约100、100余、一百 的人数。",
                    value=str(valuelist[0])[:20],
                )
            ) from error
        self.data = headcount.value if headcount else None
        self.is_approximate = bool(headcount and headcount.is_approximate)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)


def _headcount_field(label) -> IntegerField:
    return IntegerField(
        label,
        validators=[
            OptionalValidator(),
            NumberRange(0, MAX_HEADCOUNT, HEADCOUNT_RANGE),
        ],
        invalid_value_message=INVALID_WHOLE_NUMBER,
    )


def _organization_total_field(label) -> IntegerField:
    return IntegerField(
        label,
        validators=[
            OptionalValidator(),
            NumberRange(0, MAX_ORGANIZATION_TOTAL, _l("数量应在 0 到 100000 之间。")),
        ],
        invalid_value_message=INVALID_WHOLE_NUMBER,
        description=_l("含未具名的，如共 10 支参赛队、具名 3 支时填 10"),
    )


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes sharing one name (the weekdays of a weekly rule)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class StopRowForm(Form):
    """One itinerary stop: an existing place, or a new one typed on the spot."""

    location = EntryPickerField(_l("地点"), model=Location, lookup="location")
    new_location = StringField(
        _l("或新建地点"),
        validators=[too_long(200)],
        filters=TEXT_FILTERS,
        render_kw={"placeholder": _l("新地点名称")},
    )
    new_location_city = StringField(
        _l("新地点所在城市"), validators=[too_long(60)], filters=TEXT_FILTERS
    )
    starts_at = DateTimeLocalField(
        _l("到达时间"),
        validators=[OptionalValidator(), WithinYears()],
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        invalid_value_message=_l("时间格式不正确，请使用 YYYY-MM-DD HH:MM。"),
    )
    note = StringField(_l("说明"), validators=[too_long(300)], filters=TEXT_FILTERS)

    def is_blank(self) -> bool:
        return (
            self.location.data is None
            and not self.location.typed_name
            and not self.new_location.data
            and self.starts_at.data is None
            and not self.starts_at.errors
            and not self.note.data
        )

    def validate_new_location(self, field) -> None:
        if self.is_blank() or self.location.errors:
            return
        if self.location.data is None and not field.data:
            raise ValidationError(_l("请选择已有地点，或填写新地点的名称。"))
        if self.location.data is not None and field.data:
            raise ValidationError(_l("已选择已有地点时，请不要再填写新地点。"))


def _new_organization_name(label) -> StringField:
    """A new organisation's name typed in a row: created when the event is saved."""
    return StringField(
        label,
        validators=[too_long(200)],
        filters=TEXT_FILTERS,
        render_kw={"placeholder": _l("新组织的全称")},
    )


def _new_organization_ref(name: str, kind: str) -> EntryRef:
    """A typed organisation: the one of that name when it exists, else a new one."""
    return EntryRef(Organization, {"name": name}, {"kind": kind})


def _chosen_organization(row: Form):
    """The row's picked organisation entry, or a reference to the typed new one; None when blank."""
    if row.organization.entry is not None:
        return row.organization.entry
    if row.new_organization.data:
        return _new_organization_ref(row.new_organization.data, row.new_organization_kind.data)
    return None


class OrganizationRowForm(Form):
    """One organisation's role in the event, with an optional headcount; the organisation
    chosen from the directory, or typed as a new one (created when the event is saved)."""

    organization = EntryPickerField(_l("组织"), model=Organization, lookup="organization")
    new_organization = _new_organization_name(_l("或新建组织"))
    new_organization_kind = code_select(
        _l("新组织类型"), labels.ORGANIZATION_KIND_LABELS, default="government"
    )
    role = code_select(_l("角色"), labels.ORGANIZATION_ROLE_LABELS, default="host")
    headcount = _headcount_field(_l("人数"))
    note = StringField(_l("备注"), validators=[too_long(300)], filters=TEXT_FILTERS)

    def is_blank(self) -> bool:
        return (
            self.organization.data is None
            and not self.organization.typed_name
            and not self.new_organization.data
            and self.headcount.data is None
            and not self.headcount.errors
            and not self.note.data
        )

    def validate_organization(self, field) -> None:
        if field.errors or self.is_blank():
            return
        if field.data is None and not self.new_organization.data:
            raise ValidationError(_l("请选择组织，或填写新组织的全称。"))
        if field.data is not None and self.new_organization.data:
            raise ValidationError(_l("已选择已有组织时，请不要再填写新组织。"))

    def chosen_organization(self):
        """The organisation entry, or a reference to the typed new one; None when blank."""
        return _chosen_organization(self)

    def organization_key(self):
        """What identifies the row's organisation before saving: its id or its typed name."""
        if self.organization.data is not None:
            return self.organization.data
        return ("new", self.new_organization.data) if self.new_organization.data else None


class SegmentRowForm(Form):
    """One segment of the programme (环节/议程): a title, optionally a time and a note."""

    title = StringField(
        _l("环节"),
        validators=[too_long(SEGMENT_TITLE_MAX)],
        filters=TEXT_FILTERS,
        render_kw={"placeholder": _l("如 安全知识必答题")},
    )
    time = BlankTimeField(_l("时间"))
    note = StringField(_l("说明"), validators=[too_long(SEGMENT_NOTE_MAX)], filters=TEXT_FILTERS)

    def is_blank(self) -> bool:
        return (
            not self.title.data
            and self.time.data is None
            and not self.time.errors
            and not (self.note.data)
        )

    def validate_title(self, field) -> None:
        if not field.data and not self.is_blank():
            raise ValidationError(_l("请填写环节名称，或点“删除”去掉这一行。"))

    def value(self) -> dict:
        time_text = self.time.data.strftime("%H:%M") if self.time.data else None
        return segment(self.title.data, time_text, self.note.data)


class ParticipationRowForm(Form):
    """A person, or an organisation as a team, taking part; with role, attendance and award.
    Either may be chosen from the directory or typed as a new one."""

    person = EntryPickerField(_l("人员"), model=Person, lookup="person")
    new_person = StringField(
        _l("或新建人员"),
        validators=[too_long(100)],
        filters=TEXT_FILTERS,
        render_kw={"placeholder": _l("新人员姓名")},
    )
    organization = EntryPickerField(
        _l("或参赛组织（队伍）"), model=Organization, lookup="organization"
    )
    new_organization = _new_organization_name(_l("或新建参赛组织"))
    new_organization_kind = code_select(
        _l("新组织类型"), labels.ORGANIZATION_KIND_LABELS, default="enterprise"
    )
    award_level = SelectField(
        _l("奖项等级"),
        choices=lambda: [
            SelectChoice("", str(_l("（无）"))),
            *(SelectChoice(code, str(text)) for code, text in labels.AWARD_LEVEL_LABELS.items()),
        ],
        default="",
        invalid_choice_message=INVALID_CHOICE,
    )
    role = code_select(_l("角色"), labels.PARTICIPATION_ROLE_LABELS, default="participant")
    attended = BooleanField(_l("出席"), default=True)
    hours = DecimalField(
        _l("时长（小时）"),
        places=2,
        validators=[
            OptionalValidator(),
            NumberRange(0, 1000, _l("时长应在 0 到 1000 小时之间。")),
        ],
        invalid_value_message=INVALID_NUMBER,
    )
    award = StringField(
        _l("奖项"),
        validators=[too_long(100)],
        filters=TEXT_FILTERS,
        render_kw={"placeholder": _l("如 冠军、二等奖")},
    )
    rank = IntegerField(
        _l("名次"),
        validators=[OptionalValidator(), NumberRange(1, 1000, _l("名次应在 1 到 1000 之间。"))],
        invalid_value_message=INVALID_WHOLE_NUMBER,
    )

    def is_blank(self) -> bool:
        return (
            self.person.data is None
            and not self.person.typed_name
            and not self.new_person.data
            and self.organization.data is None
            and not self.organization.typed_name
            and not self.new_organization.data
            and self.hours.data is None
            and not self.hours.errors
            and self.rank.data is None
            and not self.rank.errors
            and not self.award.data
            and not self.award_level.data
        )

    def validate_person(self, field) -> None:
        """Exactly one of: a person, a new person, a team, a new team."""
        # The team's own messages (a name matching none or several) are not in `.errors` yet.
        if field.errors or self.organization.process_errors or self.is_blank():
            return
        chosen = sum(
            (
                field.data is not None,
                bool(self.new_person.data),
                self.organization.data is not None,
                bool(self.new_organization.data),
            )
        )
        if chosen == 0:
            raise ValidationError(_l("请选择人员或参赛组织（队伍），或填写新的姓名或组织全称。"))
        if chosen > 1:
            raise ValidationError(_l("人员和参赛组织只能选择其中一项（已有的或新填写的）。"))

    def chosen_person(self):
        if self.person.entry is not None:
            return self.person.entry
        return EntryRef(Person, {"name": self.new_person.data}) if self.new_person.data else None

    def chosen_team(self):
        return _chosen_organization(self)

    def participant_key(self):
        """Who takes part, before saving: ("person"|"team", id or ("new", typed name))."""
        if self.person.data is not None:
            return ("person", self.person.data)
        if self.new_person.data:
            return ("person", ("new", self.new_person.data))
        if self.organization.data is not None:
            return ("team", self.organization.data)
        if self.new_organization.data:
            return ("team", ("new", self.new_organization.data))
        return None

    def chosen_award_level(self) -> Optional[str]:
        """The level chosen, else the one the award text says (冠军 → 一等奖/冠军)."""
        return self.award_level.data or guess_award_level(self.award.data)


class CappedFieldList(FieldList):
    """A list of rows that refuses more than `max_entries` of them, with a message.

    WTForms would silently keep the first `max_entries` rows and drop the rest; here a longer
    list builds no rows at all (a hostile post of 20,000 rows costs one pass over the keys)
    and the form fails with a message saying how many rows the list may hold.
    """

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.too_many_rows = False
        if formdata:
            indices = set(self._extract_indices(self.name, formdata))
            if len(indices) > self.max_entries:
                self.too_many_rows = True
                formdata = None
                data = ()
        super().process(formdata, data, extra_filters)

    def validate(self, form, extra_validators=()) -> bool:
        if not self.too_many_rows:
            return super().validate(form, extra_validators)
        message = _l(
            "“%(list)s”最多可填写 %(max)d 行，请删除多余的行后再保存。",
            list=self.label.text,
            max=self.max_entries,
        )
        self.errors = [str(message)]
        return False


class EventForm(FlaskForm):
    """Create or edit an event. `version` carries the version the user loaded."""

    version = HiddenField()
    title = StringField(
        _l("标题"), validators=[DataRequired(REQUIRED), too_long(200)], filters=[strip_text]
    )
    category = EntrySelectField(
        _l("类别"),
        model=Category,
        describe=lambda category: category.name_for(current_language()),
        order_by=Category.id,
    )
    campaign = EntryPickerField(_l("专项活动"), model=Campaign, lookup="campaign")
    theme = StringField(_l("主题"), validators=[too_long(200)], filters=TEXT_FILTERS)

    all_day = BooleanField(_l("全天活动"))
    start_date = BlankDateField(
        _l("开始日期"),
        validators=[InputRequired(_l("请填写开始日期。"))],
    )
    start_time = BlankTimeField(
        _l("开始时间"),
        validators=[RequiredUnless("all_day", _l("请填写开始时间，或勾选“全天活动”。"))],
    )
    end_date = BlankDateField(
        _l("结束日期"),
        validators=[
            EndsAfterStart(
                "start_date",
                _l("结束时间不能早于开始时间。"),
                start_time="start_time",
                end_time="end_time",
                blank_means_start_day=True,
                skip_times_if="all_day",
            )
        ],
        description=_l("当天结束可不填"),
    )
    end_time = BlankTimeField(
        _l("结束时间"),
        validators=[RequiredUnless("all_day", _l("请填写结束时间，或勾选“全天活动”。"))],
    )
    timezone = StringField(
        _l("时区"),
        default=DEFAULT_TIMEZONE,
        validators=[DataRequired(REQUIRED), too_long(64)],
        filters=[strip_text],
        render_kw={"list": "timezones"},
    )
    date_is_approximate = BooleanField(_l("日期为估计（报道未给出确切日期）"))

    repeat = SelectField(
        _l("重复"),
        choices=lambda: [SelectChoice(code, str(text)) for code, text in FREQUENCY_LABELS.items()],
        default="",
        invalid_choice_message=INVALID_CHOICE,
    )
    repeat_interval = IntegerField(
        _l("间隔"),
        default=1,
        validators=[OptionalValidator(), NumberRange(1, 99, _l("间隔应在 1 到 99 之间。"))],
        invalid_value_message=INVALID_WHOLE_NUMBER,
        description=_l("每几天／周／月／年重复一次"),
    )
    repeat_weekdays = MultiCheckboxField(
        _l("在这些日子"),
        choices=lambda: [
            SelectChoice(code, str(labels.WEEKDAY_LABELS[code])) for code in WEEKDAY_CODES
        ],
        invalid_choice_message=INVALID_CHOICE,
    )
    repeat_monthly_by = SelectField(
        _l("每月按"),
        choices=lambda: [SelectChoice(code, str(text)) for code, text in MONTHLY_BY_LABELS.items()],
        default="monthday",
        invalid_choice_message=INVALID_CHOICE,
    )
    repeat_until = BlankDateField(
        _l("重复截止日期"),
        validators=[EndsAfterStart("start_date", _l("重复截止日期不能早于开始日期。"))],
    )
    repeat_count = IntegerField(
        _l("或重复次数"),
        validators=[
            OptionalValidator(),
            NumberRange(1, MAX_COUNT, _l("次数应在 1 到 1000 之间。")),
        ],
        invalid_value_message=INVALID_WHOLE_NUMBER,
    )

    status = code_select(_l("状态"), labels.EVENT_STATUS_LABELS, default="confirmed")
    visibility = code_select(_l("公开范围"), labels.EVENT_VISIBILITY_LABELS, default="public")
    reported_headcount = HeadcountField(
        _l("报告人数"),
        render_kw={"placeholder": _l("如 100、100+、约100、一百"), "inputmode": "text"},
    )
    reported_headcount_is_approximate = BooleanField(_l("人数为约数（如“100+”“100余”）"))
    description = TextAreaField(
        _l("活动简介"), validators=[too_long(10000)], filters=LONG_TEXT_FILTERS
    )
    outcome = TextAreaField(_l("活动成果"), validators=[too_long(10000)], filters=LONG_TEXT_FILTERS)
    notes = TextAreaField(
        _l("备注（内部）"), validators=[too_long(10000)], filters=LONG_TEXT_FILTERS
    )

    # One per rendering of the form: a second submission of it saves nothing (FormSubmission).
    submission_token = HiddenField()
    programme = CappedFieldList(
        FormField(SegmentRowForm), label=_l("活动环节"), max_entries=MAX_SEGMENTS
    )
    participant_total = _organization_total_field(_l("参加单位总数"))
    exhibitor_total = _organization_total_field(_l("参展机构总数"))
    team_total = _organization_total_field(_l("参赛队总数"))
    village_total = _organization_total_field(_l("帮扶村总数"))
    stops = CappedFieldList(FormField(StopRowForm), label=_l("行程／地点"), max_entries=MAX_STOPS)
    organizations = CappedFieldList(
        FormField(OrganizationRowForm), label=_l("组织单位"), max_entries=MAX_ORGANIZATIONS
    )
    participants = CappedFieldList(
        FormField(ParticipationRowForm), label=_l("参与者"), max_entries=MAX_PARTICIPANTS
    )

    def validate_timezone(self, field) -> None:
        if field.data and field.data not in _known_timezones():
            raise ValidationError(_l("未知的时区，请使用如 Asia/Shanghai 的 IANA 名称。"))

    def validate_repeat_weekdays(self, field) -> None:
        if field.data and self.repeat.data != "WEEKLY":
            field.data = []

    def validate_repeat_count(self, field) -> None:
        if field.data is not None and self.repeat_until.data is not None:
            raise ValidationError(_l("重复截止日期和重复次数只能填写一项。"))

    def validate_organizations(self, field) -> None:
        seen: set[tuple] = set()
        duplicate = False
        for row in field:
            key = (row.form.organization_key(), row.form.role.data)
            if key[0] is None:
                continue
            if key in seen:
                row.form.organization.errors.append(_l("同一组织不能以同一角色重复出现。"))
                duplicate = True
            seen.add(key)
        if duplicate:
            raise ValidationError(_l("同一组织不能以同一角色重复出现。"))

    def validate_participants(self, field) -> None:
        seen: set[tuple[str, int]] = set()
        duplicate = False
        for row in field:
            key = row.form.participant_key()
            if key is None:
                continue
            # Once per activity, whatever the role: one row holds a person's hours and award.
            if key in seen:
                target = row.form.person if key[0] == "person" else row.form.organization
                target.errors.append(_l("同一参与者不能重复添加。"))
                duplicate = True
            seen.add(key)
        if duplicate:
            raise ValidationError(_l("同一参与者不能重复添加。"))

    def validate(self, extra_validators=None) -> bool:
        """The fields' own checks, then the recurrence rule they describe as a whole."""
        if not super().validate(extra_validators):
            return False
        return self.totals_cover_named() and self.accepts_rule(self.recurrence_rule())

    def totals_cover_named(self) -> bool:
        """A counted role's total is at least the organisations the rows name in it."""
        named: dict[str, set] = {role: set() for role in COUNTED_TOTAL_COLUMNS}
        for row in _filled_rows(self.organizations):
            if row.role.data in named:
                named[row.role.data].add(row.organization_key())
        for row in _filled_rows(self.participants):
            key = row.participant_key()
            if key and key[0] == "team":
                named["team"].add(key[1])
        fine = True
        for role, column in COUNTED_TOTAL_COLUMNS.items():
            total = self[column].data
            if total is not None and total < len(named[role]):
                self[column].errors = [
                    *self[column].errors,
                    _l("总数不能少于已列出的 %(n)d 个。", n=len(named[role])),
                ]
                fine = False
        return fine

    def accepts_rule(self, rule: Optional[str]) -> bool:
        """Whether the event may repeat by `rule`; if not, the reason is shown at "重复"."""
        if not rule:
            return True
        problem = rule_problem(rule, self.moments()[0], self.zone)
        if problem is None:
            return True
        self.repeat.errors = [
            *self.repeat.errors,
            _l(
                "“%(title)s”的重复规则无法保存：%(problem)s", title=self.title.data, problem=problem
            ),
        ]
        return False

    # --- reading the typed values -------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone.data or DEFAULT_TIMEZONE)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo(DEFAULT_TIMEZONE)

    def moments(self) -> tuple[datetime, datetime]:
        """Start and end in UTC; all-day events run from local midnight to the midnight after."""
        zone = self.zone
        first_day = self.start_date.data
        last_day = self.end_date.data or first_day
        if self.all_day.data:
            starts = datetime.combine(first_day, time.min, tzinfo=zone)
            ends = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=zone)
        else:
            starts = datetime.combine(first_day, self.start_time.data, tzinfo=zone)
            ends = datetime.combine(last_day, self.end_time.data, tzinfo=zone)
        return starts.astimezone(UTC), ends.astimezone(UTC)

    def recurrence_rule(self) -> Optional[str]:
        """The RRULE text (without "RRULE:") the recurrence fields describe, or None."""
        return build_rule(
            self.repeat.data or "",
            interval=self.repeat_interval.data or 1,
            weekdays=self.repeat_weekdays.data or [],
            monthly_by=self.repeat_monthly_by.data,
            until=self.repeat_until.data,
            count=self.repeat_count.data,
            first_day=self.start_date.data,
            zone=self.zone,
            is_all_day=bool(self.all_day.data),
        )

    def to_input(self) -> EventInput:
        """The validated values as plain data for the event services; blank rows dropped."""
        starts_at, ends_at = self.moments()
        zone = self.zone
        stops = [
            StopRow(
                location=row.location.entry
                or EntryRef(
                    Location,
                    {"name": row.new_location.data},
                    {"city": row.new_location_city.data},
                ),
                starts_at=(
                    row.starts_at.data.replace(tzinfo=zone).astimezone(UTC)
                    if row.starts_at.data
                    else None
                ),
                note=row.note.data,
            )
            for row in _filled_rows(self.stops)
        ]
        organizations = [
            OrganizationRow(
                organization=row.chosen_organization(),
                role=row.role.data,
                headcount=row.headcount.data,
                note=row.note.data,
            )
            for row in _filled_rows(self.organizations)
        ]
        participants = [
            ParticipationRow(
                person=row.chosen_person(),
                organization=row.chosen_team(),
                role=row.role.data,
                attended=bool(row.attended.data),
                hours=row.hours.data,
                award=row.award.data,
                rank=row.rank.data,
                award_level=row.chosen_award_level(),
            )
            for row in _filled_rows(self.participants)
        ]
        typed = {name: self[name].data for name in TYPED_FIELDS}
        typed["reported_headcount_is_approximate"] = bool(
            self.reported_headcount_is_approximate.data or self.reported_headcount.is_approximate
        )
        return EventInput(
            **typed,
            category=self.category.entry,
            campaign=self.campaign.entry,
            starts_at=starts_at,
            ends_at=ends_at,
            is_all_day=bool(self.all_day.data),
            recurrence_rule=self.recurrence_rule(),
            programme=[row.value() for row in _filled_rows(self.programme)] or None,
            stops=stops,
            organizations=organizations,
            participants=participants,
            given=FORM_FIELDS,
        )

    def long_text_fields(self) -> list:
        """The long texts, in declaration order (the form shows them together)."""
        return [self[field.name] for field in LONG_TEXT_FIELDS]

    def submitted_version(self) -> Optional[int]:
        """The version the user loaded, or None when the hidden field was tampered with."""
        text = (self.version.data or "").strip()
        return int(text) if text.isdigit() and len(text) < 10 else None


# The event's own fields the form shows as they are stored: one form field of the same name
# each (the times, all-day flag and rule are typed in other shapes, see `to_input`).
TYPED_FIELDS = tuple(
    name
    for name in SCALAR_FIELDS
    if isinstance(getattr(EventForm, name, None), UnboundField)
    and not issubclass(getattr(EventForm, name).field_class, FieldList)
)


def _filled_rows(rows: FieldList) -> list[Form]:
    """The row forms of a list, without those left blank (they are dropped on save)."""
    return [entry.form for entry in rows if not entry.form.is_blank()]


def _known_timezones() -> set[str]:
    global _TIMEZONES
    if _TIMEZONES is None:
        _TIMEZONES = available_timezones() | {"UTC"}
    return _TIMEZONES


_TIMEZONES: Optional[set[str]] = None


# --- recurrence rules <-> form fields ---------------------------------------------------


def _nth_weekday(day: date) -> str:
    """BYDAY for "the same weekday of the month" as `day`: 1FR, 2MO… or -1SU for the fifth."""
    ordinal = (day.day - 1) // 7 + 1
    return f"{-1 if ordinal == 5 else ordinal}{WEEKDAY_CODES[day.weekday()]}"


def build_rule(
    frequency: str,
    *,
    interval: int,
    weekdays: list[str],
    monthly_by: str,
    until: Optional[date],
    count: Optional[int],
    first_day: date,
    zone: ZoneInfo,
    is_all_day: bool,
) -> Optional[str]:
    """An RRULE from the form's recurrence fields, as it is stored (UNTIL in UTC, or a DATE
    for an all-day event); None when the event does not repeat."""
    if not frequency:
        return None
    rule = vRecur({"FREQ": frequency})
    if interval and interval > 1:
        rule["INTERVAL"] = interval
    if frequency == "WEEKLY" and weekdays:
        rule["BYDAY"] = [code for code in WEEKDAY_CODES if code in weekdays]
    if frequency == "MONTHLY" and monthly_by == "weekday" and first_day:
        rule["BYDAY"] = [_nth_weekday(first_day)]
    if count:
        rule["COUNT"] = count
    elif until:
        rule["UNTIL"] = until if is_all_day else end_of_series(until, zone)
    text = rule_text(rule)
    return text if is_valid_rule(text) else None


def rule_fields(rule: Optional[str], zone: ZoneInfo) -> dict[str, Any]:
    """The form's recurrence fields for a stored rule (parts the form lacks are left out)."""
    if not rule:
        return {"repeat": ""}
    parts = parse_rule(rule)
    by_day = [str(day) for day in parts.get("BYDAY", [])]
    return {
        "repeat": first(parts, "FREQ") or "",
        "repeat_interval": first(parts, "INTERVAL") or 1,
        "repeat_weekdays": [day for day in by_day if day in WEEKDAY_CODES],
        "repeat_monthly_by": "weekday" if any(len(day) > 2 for day in by_day) else "monthday",
        "repeat_count": first(parts, "COUNT"),
        "repeat_until": until_day(rule, zone),
    }


def event_form_data(event: Event) -> dict[str, Any]:
    """What the edit form shows for a saved event: local dates and times, rule fields, rows."""
    zone = event.zone
    starts, ends = event.local_starts_at, event.local_ends_at
    data: dict[str, Any] = {name: getattr(event, name) for name in TYPED_FIELDS}
    data |= {
        "version": str(event.version),
        "category": event.category_id,
        "campaign": event.campaign_id,
        "all_day": event.is_all_day,
        "start_date": starts.date(),
        "start_time": None if event.is_all_day else starts.time(),
        "end_date": event.last_local_day if event.is_all_day else ends.date(),
        "end_time": None if event.is_all_day else ends.time(),
        "programme": [
            {
                "title": item["title"],
                "time": time.fromisoformat(item["time"]) if item.get("time") else None,
                "note": item.get("note"),
            }
            for item in event.programme or []
        ],
        "stops": [
            {
                "location": stop.location_id,
                "starts_at": (
                    stop.starts_at.astimezone(zone).replace(tzinfo=None) if stop.starts_at else None
                ),
                "note": stop.note,
            }
            for stop in event.stops
        ],
        "organizations": [
            {
                "organization": link.organization_id,
                "role": link.role,
                "headcount": link.headcount,
                "note": link.note,
            }
            for link in event.organization_links
        ],
        "participants": [
            {
                "person": participation.person_id,
                "organization": participation.organization_id,
                "role": participation.role,
                "attended": participation.attended,
                "hours": participation.hours,
                "award_level": participation.award_level or "",
                "award": participation.award,
                "rank": participation.rank,
            }
            for participation in event.participations
        ],
    }
    data.update(rule_fields(event.recurrence_rule, zone))
    return data


def blank_row(list_field: FieldList, name: str) -> Form:
    """An empty row whose field names carry `__index__`, for the page's <template>."""
    row_class = list_field.unbound_field.args[0]
    return row_class(prefix=f"{name}-__index__-")


def keep_stored_rule(event: Event, built: Optional[str]) -> Optional[str]:
    """The stored rule while the form's recurrence fields still say the same thing.

    The form cannot show every RRULE part (BYMONTHDAY, BYSETPOS…); an edit that leaves the
    recurrence alone must not lose them.
    """
    if not event.recurrence_rule:
        return built
    fields = rule_fields(event.recurrence_rule, event.zone)
    rebuilt = build_rule(
        fields["repeat"],
        interval=fields["repeat_interval"],
        weekdays=fields["repeat_weekdays"],
        monthly_by=fields["repeat_monthly_by"],
        until=fields["repeat_until"],
        count=fields["repeat_count"],
        first_day=event.local_starts_at.date(),
        zone=event.zone,
        is_all_day=event.is_all_day,
    )
    return event.recurrence_rule if rebuilt == built else built
