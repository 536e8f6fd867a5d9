"""What every page shares: error pages, template filters and globals.

Filters format values for display; globals give the request's language and links. Neither
reads the database: views pass templates the data they show.
"""

from decimal import Decimal
from urllib.parse import quote, urlencode, urlsplit

from flask import Flask, render_template, request
from flask_babel import gettext as _
from markupsafe import Markup, escape

from tracker import labels
from tracker.i18n import current_language, local_datetime, month_label
from tracker.recurrence import describe_recurrence


def init_app(app: Flask) -> None:
    for code in (400, 403, 404, 405, 413, 500):
        app.register_error_handler(code, _error_page)
    app.jinja_env.filters.update(
        nl2br=_nl2br,
        local_datetime=local_datetime,
        describe_recurrence=describe_recurrence,
        month_label=month_label,
        format_hours=format_hours,
    )
    app.jinja_env.globals.update(
        labels=labels,
        current_language=current_language,
        url_with=url_with,
    )


def _error_page(error):
    code = getattr(error, "code", 500) or 500
    titles = {
        400: _("请求无效"),
        403: _("没有权限"),
        404: _("找不到该页面"),
        405: _("不支持该请求方式"),
        413: _("上传的文件太大"),
        500: _("服务器内部错误"),
    }
    messages = {
        400: _("提交的内容无效或已过期，请返回后重试。"),
        403: _("您没有执行此操作的权限。"),
        404: _("您要找的内容不存在，可能已被删除。"),
        405: _("该地址不接受这种请求。"),
        413: _("文件超过了允许的大小。"),
        500: _("出错了，请稍后再试。"),
    }
    description = getattr(error, "description", None) if code == 400 else None
    return (
        render_template(
            "errors/error.html",
            code=code,
            title=titles.get(code, titles[500]),
            message=messages.get(code, messages[500]),
            detail=description if isinstance(description, str) and "CSRF" in description else None,
        ),
        code,
    )


def _nl2br(text: str | None) -> Markup:
    if not text:
        return Markup("")
    return Markup("<br>").join(escape(line) for line in text.splitlines())


def format_hours(hours: Decimal) -> str:
    """12.50 → 12.5, 3.00 → 3."""
    text = f"{hours:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def url_with(**changes) -> str:
    """The current page with some query arguments replaced (None removes one); lists repeat.

    Built from the path rather than `url_for`, so no query name can clash with `url_for`'s own
    arguments; an unknown path (an error page) links to the home page instead.
    """
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None or value == []:
            args.pop(key, None)
        else:
            args[key] = value if isinstance(value, list) else [value]
    path = request.path if request.endpoint else "/"
    path = "/" + path.lstrip("/\\")  # never a scheme-relative //host link
    return path + ("?" + urlencode(args, doseq=True) if args else "")


def safe_next_url(target: str | None) -> str | None:
    """`target` when it is a path on this site, else None (no open redirects)."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(ord(character) < 32 for character in target)
        and not urlsplit(target).netloc
    ):
        return target
    return None


def content_disposition(filename: str, fallback: str) -> str:
    """`attachment` with an ASCII fallback name and the real one per RFC 5987 / RFC 6266."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
