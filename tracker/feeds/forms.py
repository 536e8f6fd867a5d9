"""Forms of the feeds feature: naming a private feed link, uploading an .ics file."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from tracker.feeds.services import MAX_TOKEN_NAME_LENGTH


class FeedTokenForm(FlaskForm):
    """Name of a new private feed link, e.g. the device it goes into."""

    name = StringField(
        _l("名称"),
        validators=[
            DataRequired(_l("请为订阅链接起一个名称，例如“办公室电脑 Outlook”。")),
            Length(max=MAX_TOKEN_NAME_LENGTH, message=_l("名称最多 100 个字符。")),
        ],
        description=_l("用于区分不同设备或日历软件，例如“手机 Apple 日历”。"),
    )


class ImportForm(FlaskForm):
    """An iCalendar file to import."""

    file = FileField(
        _l("iCalendar 文件（.ics）"),
        validators=[FileRequired(_l("请选择要导入的 .ics 文件。"))],
    )


class ConfirmImportForm(FlaskForm):
    """Step two of an import: the kept upload's id, and the user's choice."""

    upload_id = HiddenField(validators=[DataRequired()])
    confirm = SubmitField(_l("确认导入"))
    cancel = SubmitField(_l("取消"))
