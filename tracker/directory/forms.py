"""Directory forms, and the form pieces every feature shares: choosing a directory entry by id,
optional dates and times, and cross-field rules. Messages are Chinese msgids."""

from collections.abc import Callable
from datetime import datetime, time
from typing import Any, Optional

from flask import g
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    NumberRange,
    Regexp,
    StopValidation,
    ValidationError,
)
from wtforms.validators import Optional as OptionalValidator

from tracker import labels
from tracker.extensions import db
from tracker.models import Campaign, Category, Location, Organization, Person

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

    Choices load once per request (a form with ten team rows queries once); a tampered or
    deleted id gets a Chinese message; the chosen entry is left in `.entry`.
    """

    def __init__(
        self,
        label=None,
        validators=None,
        *,
        model,
        describe: Callable[[Any], str] = lambda entry: entry.name,
        order_by=None,
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
        self.blank = blank
        self.not_found = not_found
        self.entry = None

    def process_data(self, value) -> None:
        """Accept an entry object (from `obj=`) as well as an id."""
        self.data = coerce_id(getattr(value, "id", value))

    def _load_choices(self) -> list[SelectChoice]:
        key = (self.model.__name__, self.describe, str(self.order_by))
        cache = g.setdefault("entry_choices", {})
        if key not in cache:
            statement = select(self.model).order_by(
                self.order_by if self.order_by is not None else self.model.id
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
        entry = db.session.get(self.model, self.data) if self.data > 0 else None
        if entry is None:
            raise ValidationError(self.not_found)
        self.entry = entry


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


def strip_text(value):
    """Filter: trim surrounding blanks from typed text."""
    return value.strip() if isinstance(value, str) else value


def blank_to_none(value):
    """Filter: an empty text becomes None, so it is stored as NULL."""
    return value or None


class DirectoryForm(FlaskForm):
    """Base of the directory forms: knows the entry being edited (for uniqueness checks)."""

    def __init__(self, *args, editing=None, **kwargs):
        self.editing = editing
        super().__init__(*args, obj=editing, **kwargs)

    def values(self) -> dict[str, Any]:
        """The typed values by model attribute, ready for a service."""
        result = {}
        for name, field in self._fields.items():
            if name == "csrf_token":
                continue
            result[name] = field.entry if isinstance(field, EntrySelectField) else field.data
        return result


TEXT_FILTERS = [strip_text, blank_to_none]


class OrganizationForm(DirectoryForm):
    name = StringField(
        _l("名称"),
        validators=[DataRequired(REQUIRED), too_long(200), Unique(Organization.name)],
        filters=[strip_text],
    )
    short_name = StringField(_l("简称"), validators=[too_long(60)], filters=TEXT_FILTERS)
    kind = code_select(_l("类型"), labels.ORGANIZATION_KIND_LABELS, default="community")
    parent = EntrySelectField(
        _l("上级组织"),
        model=Organization,
        order_by=Organization.name,
        blank=_l("（无上级组织）"),
    )
    description = TextAreaField(_l("说明"), validators=[too_long(5000)], filters=TEXT_FILTERS)

    def validate_parent(self, field) -> None:
        """An organisation cannot sit under itself or under one of its own descendants."""
        if self.editing is None or field.entry is None:
            return
        ancestor = field.entry
        seen = set()
        while ancestor is not None and ancestor.id not in seen:
            if ancestor.id == self.editing.id:
                raise ValidationError(_l("上级组织不能是它自己或它的下级组织。"))
            seen.add(ancestor.id)
            ancestor = ancestor.parent


class LocationForm(DirectoryForm):
    name = StringField(
        _l("名称"),
        validators=[DataRequired(REQUIRED), too_long(200), Unique(Location.name)],
        filters=[strip_text],
    )
    city = StringField(_l("城市"), validators=[too_long(60)], filters=TEXT_FILTERS)
    address = StringField(_l("地址"), validators=[too_long(300)], filters=TEXT_FILTERS)
    latitude = FloatField(
        _l("纬度"),
        validators=[
            BothOrNeither("longitude", _l("纬度和经度需要同时填写。")),
            OptionalValidator(),
            NumberRange(-90, 90, _l("纬度应在 -90 到 90 之间。")),
        ],
        invalid_value_message=INVALID_NUMBER,
    )
    longitude = FloatField(
        _l("经度"),
        validators=[
            BothOrNeither("latitude", _l("纬度和经度需要同时填写。")),
            OptionalValidator(),
            NumberRange(-180, 180, _l("经度应在 -180 到 180 之间。")),
        ],
        invalid_value_message=INVALID_NUMBER,
    )


class PersonForm(DirectoryForm):
    name = StringField(
        _l("姓名"), validators=[DataRequired(REQUIRED), too_long(100)], filters=[strip_text]
    )
    organization = EntrySelectField(
        _l("单位"), model=Organization, order_by=Organization.name, blank=_l("（无）")
    )
    title = StringField(
        _l("身份"),
        validators=[too_long(100)],
        filters=TEXT_FILTERS,
        description=_l("如 党员、学生、代表"),
    )
    is_party_member = BooleanField(_l("党员"))
    phone = StringField(
        _l("电话"),
        validators=[
            too_long(40),
            OptionalValidator(),
            Regexp(r"^[0-9+\-() ]+$", message=_l("电话只能包含数字、空格和 + - ( )。")),
        ],
        filters=TEXT_FILTERS,
    )
    email = StringField(
        _l("邮箱"),
        validators=[
            too_long(200),
            OptionalValidator(),
            Email(_l("邮箱地址格式不正确。"), check_deliverability=False),
        ],
        filters=TEXT_FILTERS,
    )


class CategoryForm(DirectoryForm):
    name_zh = StringField(
        _l("中文名"),
        validators=[DataRequired(REQUIRED), too_long(60), Unique(Category.name_zh)],
        filters=[strip_text],
    )
    name_en = StringField(
        _l("英文名"), validators=[DataRequired(REQUIRED), too_long(60)], filters=[strip_text]
    )
    slug = StringField(
        _l("代码"),
        validators=[
            DataRequired(REQUIRED),
            too_long(40),
            Regexp(r"^[a-z0-9-]+$", message=_l("代码只能包含小写字母、数字和连字符。")),
            Unique(Category.slug, _l("已有类别使用这个代码。")),
        ],
        filters=[strip_text],
        description=_l("用于网址和筛选，如 party-day"),
    )
    color = StringField(
        _l("颜色"),
        default="#3b6ea5",
        validators=[
            DataRequired(REQUIRED),
            Regexp(r"^#[0-9a-fA-F]{6}$", message=_l("颜色应为 #RRGGBB 格式。")),
        ],
        filters=[strip_text],
        render_kw={"type": "color"},
    )


class CampaignForm(DirectoryForm):
    name = StringField(
        _l("名称"),
        validators=[DataRequired(REQUIRED), too_long(200), Unique(Campaign.name)],
        filters=[strip_text],
    )
    theme = StringField(_l("主题"), validators=[too_long(200)], filters=TEXT_FILTERS)
    starts_on = BlankDateField(_l("开始日期"))
    ends_on = BlankDateField(
        _l("结束日期"),
        validators=[EndsAfterStart("starts_on", _l("结束日期不能早于开始日期。"))],
    )
    description = TextAreaField(_l("说明"), validators=[too_long(5000)], filters=TEXT_FILTERS)


def person_label(person: Person) -> str:
    """A person as a select shows them: name and organisation."""
    if person.organization is not None:
        return f"{person.name}（{person.organization.display_name}）"
    return person.name
