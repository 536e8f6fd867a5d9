"""Sign-in, password and account administration forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Regexp, ValidationError
from wtforms.validators import Optional as OptionalValidator

from tracker import labels
from tracker.auth.services import password_problem
from tracker.extensions import db
from tracker.forms import REQUIRED, EntrySelectField, code_select, strip_text, too_long
from tracker.models import Organization, User


def _check_password_rules(form, field) -> None:
    """The account services' password rules (PASSWORD_MIN_LENGTH), shown on the field."""
    problem = password_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


class LoginForm(FlaskForm):
    username = StringField(
        _l("用户名"), validators=[DataRequired(_l("请输入用户名")), too_long(80)]
    )
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码")), too_long(200)])


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("当前密码"), validators=[DataRequired(REQUIRED)])
    new_password = PasswordField(
        _l("新密码"), validators=[DataRequired(REQUIRED), too_long(200), _check_password_rules]
    )
    confirm_password = PasswordField(
        _l("再次输入新密码"),
        validators=[EqualTo("new_password", _l("两次输入的新密码不一致。"))],
    )


class UserCreateForm(FlaskForm):
    username = StringField(
        _l("用户名"),
        validators=[
            DataRequired(REQUIRED),
            too_long(80),
            Regexp(r"^[^\s]+$", message=_l("用户名不能包含空格。")),
        ],
        filters=[strip_text],
    )
    password = PasswordField(
        _l("初始密码"), validators=[DataRequired(REQUIRED), too_long(200), _check_password_rules]
    )
    role = code_select(_l("角色"), labels.USER_ROLE_LABELS, default="coordinator")
    organization = EntrySelectField(
        _l("所属组织"), model=Organization, order_by=Organization.name, blank=_l("（无）")
    )

    def validate_username(self, field) -> None:
        if db.session.scalar(select(User.id).where(User.username == field.data)) is not None:
            raise ValidationError(_l("该用户名已存在。"))


class UserEditForm(FlaskForm):
    role = code_select(_l("角色"), labels.USER_ROLE_LABELS)
    organization = EntrySelectField(
        _l("所属组织"), model=Organization, order_by=Organization.name, blank=_l("（无）")
    )
    is_enabled = BooleanField(_l("账号可用"))
    new_password = PasswordField(
        _l("重设密码"),
        validators=[OptionalValidator(), too_long(200), _check_password_rules],
        description=_l("留空则不修改密码"),
    )
