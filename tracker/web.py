"""What every page shares: the request's limits, security headers, error pages, template
filters and globals.

Filters format values for display; globals give the request's language and links. Neither
reads the database: views pass templates the data they show.
"""

from decimal import Decimal
from io import BytesIO
from urllib.parse import quote, urlencode, urlsplit

from flask import Flask, Request, Response, current_app, render_template, request
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.formparser import FormDataParser

from tracker import labels
from tracker.extensions import db
from tracker.i18n import current_language, local_datetime, month_label
from tracker.recurrence import describe_recurrence

# Every page's Content-Security-Policy: scripts, styles and images from this site only (no
# inline code or style attributes), never framed, forms posted only here.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
# The import page's endpoint: its upload may be as large as FEEDS_IMPORT_MAX_BYTES.
IMPORT_ENDPOINT = "feeds.import_file"
# Room for the rest of the import form (CSRF token, multipart headers) around the file.
IMPORT_FORM_OVERHEAD = 64 * 1024
# Upload endpoints with a request limit of their own: endpoint -> (setting, room added).
UPLOAD_LIMITS = {
    "media.upload_photos": ("PHOTOS_MAX_UPLOAD_BYTES", 0),
    "media.upload_attachment": ("ATTACHMENTS_MAX_FILE_BYTES", IMPORT_FORM_OVERHEAD),
}


class BoundedFormDataParser(FormDataParser):
    """Werkzeug's form parser, with MAX_FORM_PARTS and MAX_FORM_MEMORY_SIZE applied to
    url-encoded bodies too (Werkzeug applies them to multipart bodies only), so a post of
    half a million empty fields is refused before a dict of them is built."""

    def _parse_urlencoded(self, stream, mimetype, content_length, options):
        body = stream.read()
        too_many_parts = self.max_form_parts is not None and body.count(b"&") >= self.max_form_parts
        too_large = self.max_form_memory_size is not None and len(body) > self.max_form_memory_size
        if too_many_parts or too_large:
            raise RequestEntityTooLarge()
        return super()._parse_urlencoded(BytesIO(body), mimetype, content_length, options)


class TrackerRequest(Request):
    """Flask's request with bounded forms, and the import upload's own size limit."""

    form_data_parser_class = BoundedFormDataParser

    @property
    def max_content_length(self) -> int | None:
        if self.endpoint == IMPORT_ENDPOINT:
            return current_app.config["FEEDS_IMPORT_MAX_BYTES"] + IMPORT_FORM_OVERHEAD
        if self.endpoint in UPLOAD_LIMITS:
            setting, room = UPLOAD_LIMITS[self.endpoint]
            return current_app.config[setting] + room
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        Request.max_content_length.fset(self, value)


def init_app(app: Flask) -> None:
    app.request_class = TrackerRequest
    for code in (400, 403, 404, 405, 413, 500, 503):
        app.register_error_handler(code, _error_page)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(InterfaceError, _database_unavailable)
    app.before_request(_refuse_nul_characters)
    app.after_request(_security_headers)
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
    """The site's own page for an HTTP error; a failed write is rolled back first, so that
    rendering the page (which may load the signed-in user) does not fail in its turn."""
    _roll_back()
    code = getattr(error, "code", 500) or 500
    titles = {
        400: _("请求无效"),
        403: _("没有权限"),
        404: _("找不到该页面"),
        405: _("不支持该请求方式"),
        413: _("提交的内容太大"),
        500: _("服务器内部错误"),
        503: _("服务暂时不可用"),
    }
    messages = {
        400: _("提交的内容无效或已过期，请返回后重试。"),
        403: _("您没有执行此操作的权限。"),
        404: _("您要找的内容不存在，可能已被删除。"),
        405: _("该地址不接受这种请求。"),
        413: _("提交的内容或文件超过了允许的大小（表单行数或字段过多也会如此），请精简后再试。"),
        500: _("出错了，请稍后再试。"),
        503: _("数据库暂时无法连接，请稍后再试。"),
    }
    if _is_calendar_request():
        # A calendar client shows no HTML.
        text = f"{titles.get(code, titles[500])}：{messages.get(code, messages[500])}\n"
        return Response(text, code, content_type="text/plain; charset=utf-8")
    description = getattr(error, "description", None) if code == 400 else None
    try:
        page = render_template(
            "errors/error.html",
            code=code,
            title=titles.get(code, titles[500]),
            message=messages.get(code, messages[500]),
            detail=description if isinstance(description, str) and "CSRF" in description else None,
        )
    except (OperationalError, InterfaceError):
        # The layout could not load the signed-in user: the database is gone.
        page = f"{code} {titles.get(code, titles[500])}\n{messages.get(code, messages[500])}\n"
        return Response(page, code, mimetype="text/plain")
    return page, code


def _database_unavailable(error):
    """503 with Retry-After while the database cannot be reached (feeds retry later)."""
    current_app.logger.warning("database unavailable: %s", error.__class__.__name__)
    response = current_app.make_response(_error_page(ServiceUnavailableWithRetry()))
    response.headers["Retry-After"] = str(current_app.config["RETRY_AFTER_SECONDS"])
    return response


class ServiceUnavailableWithRetry(Exception):
    """The code the database-unavailable page carries."""

    code = 503


def _roll_back() -> None:
    """End the request's failed transaction, whatever state it is in."""
    try:
        db.session.rollback()
    except (OperationalError, InterfaceError):
        db.session.close()


def _refuse_nul_characters() -> Response | None:
    """A NUL byte in the path, query string or form is refused with 400: no text field holds
    one, and PostgreSQL would answer a query carrying it with an error."""
    values = [request.path, *request.args.keys(), *request.args.values()]
    if request.method in ("POST", "PUT", "PATCH"):
        values += [*request.form.keys(), *request.form.values()]
    if any("\x00" in value for value in values):
        if _is_calendar_request():
            text = _("订阅地址中的筛选条件无效：") + "\n" + _("含有不允许的字符。") + "\n"
            return Response(text, 400, content_type="text/plain; charset=utf-8")
        raise BadRequest()
    return None


def _is_calendar_request() -> bool:
    """Whether the request is for a feed (/calendar.ics, an event's .ics, a private feed)."""
    return request.path.endswith(".ics")


def _security_headers(response: Response) -> Response:
    """Headers every answer carries: a strict CSP, no framing, no MIME sniffing, no referrer
    to other sites (a private feed's address holds its token), HSTS over HTTPS, and no caching
    of anything that was not marked cacheable by its view (pages may hold personal data)."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    # same-origin, not no-referrer: Flask-WTF checks the Referer of HTTPS posts.
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault(
            "Strict-Transport-Security", f"max-age={current_app.config['HSTS_MAX_AGE']}"
        )
    if "Cache-Control" not in headers and request.endpoint != "static":
        headers["Cache-Control"] = "no-store"
    return response


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
