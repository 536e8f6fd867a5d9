"""Forms to create and edit directory entries."""

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FloatField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, NumberRange, Regexp, ValidationError
from wtforms.validators import Optional as OptionalValidator

from tracker import labels
from tracker.auth.permissions import can_place_organization, coordinates
from tracker.forms import (
    INVALID_NUMBER,
    LONG_TEXT_FILTERS,
    REQUIRED,
    TEXT_FILTERS,
    BlankDateField,
    BothOrNeither,
    EndsAfterStart,
    EntrySelectField,
    Unique,
    code_select,
    strip_text,
    too_long,
)
from tracker.models import Campaign, Category, Location, Organization


class DirectoryForm(FlaskForm):
    """Base of the directory forms: knows the entry being edited (for uniqueness checks) and
    the user saving it (for the entries they may choose)."""

    def __init__(self, *args, editing=None, user=None, **kwargs):
        self.editing = editing
        self.user = user
        super().__init__(*args, obj=editing, **kwargs)

    def values(self) -> dict[str, Any]:
        """The typed values by model attribute, ready for a service."""
        result = {}
        for name, field in self._fields.items():
            if name == "csrf_token":
                continue
            result[name] = field.entry if isinstance(field, EntrySelectField) else field.data
        return result


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
    description = TextAreaField(_l("说明"), validators=[too_long(5000)], filters=LONG_TEXT_FILTERS)

    def validate_parent(self, field) -> None:
        """An organisation cannot sit under itself or under one of its own descendants; a
        coordinator places it only under an organisation they answer for."""
        parent_id = field.entry.id if field.entry is not None else None
        unchanged = self.editing is not None and parent_id == self.editing.parent_id
        placeable = unchanged or can_place_organization(self.user, parent_id)
        if self.user is not None and not placeable:
            raise ValidationError(_l("只能放在您负责的组织之下。"))
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

    def validate_organization(self, field) -> None:
        """A coordinator keeps people in the organisations they answer for."""
        if self.user is None:
            return
        organization_id = field.entry.id if field.entry is not None else None
        if not coordinates(self.user, organization_id):
            raise ValidationError(_l("只能选择您负责的组织。"))


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
    description = TextAreaField(_l("说明"), validators=[too_long(5000)], filters=LONG_TEXT_FILTERS)
