"""Language choice (Chinese first, English second) and date formatting in the event's zone."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo
from typing import Optional
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import force_locale, format_date, format_datetime, get_locale
from flask_babel import gettext as _

from tracker.extensions import babel
from tracker.models import DEFAULT_TIMEZONE

SITE_ZONE = ZoneInfo(DEFAULT_TIMEZONE)


def select_locale() -> str:
    """`?lang=` wins and is remembered, then the remembered choice, then the browser's;
    outside a request (the command line) the default language."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = babel_languages()
    chosen = request.args.get("lang")
    if chosen in languages:
        session["lang"] = chosen
        return chosen
    if session.get("lang") in languages:
        return session["lang"]
    return request.accept_languages.best_match(languages, default=languages[0])


def babel_languages() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


@contextmanager
def default_locale() -> Iterator[None]:
    """Translate in the site's default language (Chinese) whatever the request asked for:
    for text that is not shown on a page (feeds, the command line)."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        yield


def current_language() -> str:
    """'zh' or 'en', for choosing between stored Chinese and English names."""
    locale = get_locale()
    return locale.language if locale else "zh"


_WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def local_datetime(value: datetime, zone: Optional[tzinfo] = None, with_time: bool = True) -> str:
    """A UTC datetime shown in the given zone (the site's by default), in the UI language."""
    local = value.astimezone(zone or SITE_ZONE)
    if current_language() == "zh":
        text = f"{local.year}年{local.month}月{local.day}日（{_WEEKDAYS_ZH[local.weekday()]}）"
        return f"{text} {local:%H:%M}" if with_time else text
    if with_time:
        return format_datetime(local.replace(tzinfo=None), "EEE, MMM d, y HH:mm", rebase=False)
    return format_date(local.date(), "EEE, MMM d, y")


def month_label(month: str, short: bool = False) -> str:
    """'2019-06' as 2019年6月 (or 6月 when `short`), in the UI language."""
    year, number = month.split("-")
    if short:
        return _("%(month)s月", month=int(number))
    return _("%(year)s年%(month)s月", year=year, month=int(number))


def init_app(app: Flask) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories="../translations",
    )
