"""Reading an iCalendar file into icalendar components, fast and forgiving.

icalendar's own parser spends most of its time splitting content lines (a character loop
and several parameter objects per line): a 10,000-event export takes over ten seconds. Here
lines are split by a regular expression, and only lines it does not cover (escaped or
multi-valued parameters) go through icalendar's splitter. Values are decoded by icalendar's
own value types, exactly as its parser does, so the components are the ones it would give.

Forgiving where real producers bend RFC 5545 (issue 17):

- folds are undone on the bytes, before decoding, so a fold inside a multi-byte UTF-8
  character (some producers fold at 75 bytes regardless) joins the character back;
- a line that cannot be split, or a value that cannot be read, is recorded in the
  component's `errors` with its line number (`line_errors`) instead of stopping the file;
- a VTIMEZONE is not put into icalendar's process-wide zone cache (tracker.feeds.zones
  reads every file's zones from the file itself).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field

from icalendar import Calendar
from icalendar.parser.content_line import Contentline
from icalendar.parser.ical.component import ComponentIcalParser
from icalendar.parser.parameter import Parameters
from icalendar.parser.property import unescape_backslash

# A fold: a line break followed by one space or tab (RFC 5545 §3.1), LF-only files too.
_FOLD = re.compile(rb"\r?\n[ \t]")
_NEWLINE = re.compile(r"\r\n|\n|\r")
# NAME, then parameters whose values are plain or quoted single values, then the value.
_SIMPLE_LINE = re.compile(
    r'([A-Za-z0-9-]+)((?:;[A-Za-z0-9-]+=(?:"[^"\\^]*"|[^";:,\\^]*))*):(.*)', re.DOTALL
)
_ABSENT = object()
_PARAMETER = re.compile(r';([A-Za-z0-9-]+)=(?:"([^"]*)"|([^";:,]*))')


@dataclass
class LineError:
    """A line that could not be read: where it is, in which component, and why."""

    line: int
    component: str
    name: str
    message: str


class _Line(Contentline):
    """A content line already split; `raw_parts` answers without splitting it again."""

    __slots__ = ("_parts",)

    def raw_parts(self):
        parts = getattr(self, "_parts", None)
        return parts if parts is not None else super().raw_parts()


class _Parser(ComponentIcalParser):
    """icalendar's component parser fed with lines split by `_split`; every error is kept
    with its line number, and no zone goes into icalendar's global cache."""

    def __init__(self, lines: list[tuple[int, str]], **kwargs):
        super().__init__("", **kwargs)
        self._numbered = lines
        self.errors: list[LineError] = []
        self.begin_lines: list[tuple[str, int]] = []
        self._line = 0
        self._factories: dict[tuple, type] = {}

    def get_factory_for_property(self, name: str, params: Parameters) -> type:
        """icalendar's value type for the property, looked up once per name and VALUE (the
        parser asks twice per line, and the answer depends on nothing else)."""
        key = (name, params.value if params else None)
        factory = self._factories.get(key)
        if factory is None:
            factory = self._factories[key] = super().get_factory_for_property(name, params)
        return factory

    def initialize_parsing(self):
        self._stack = []
        self._components = []

    def parse_content_lines(self) -> None:
        for number, text in self._numbered:
            self._line = number
            try:
                name, params, raw, line = _split(text)
            except ValueError as error:
                self._record(None, str(error))
                continue
            upper = name.upper()
            if upper == "BEGIN":
                self.begin_lines.append((raw.upper(), number))
                self.handle_begin_component(raw)
                self.component.ignore_exceptions = True
            elif upper == "END":
                self._end(raw)
            elif not self._stack:
                if upper != "X-COMMENT":
                    self._record(upper, "outside of any component")
            else:
                values = unescape_backslash(raw) if "\\" in raw else raw
                try:
                    self.handle_property(upper, params, values, line)
                except (ValueError, TypeError, KeyError, IndexError, AttributeError) as error:
                    self._record(upper, str(error))

    def parse_and_add_property(self, name, params, val, tzid, line) -> None:
        """icalendar's own step, adding the value as `Component.add(encode=False)` does,
        without re-normalising the name: it comes upper-cased from `parse_content_lines`."""
        factory = self.get_factory_for_property(name, params)
        try:
            parsed = factory.from_ical(val, tzid) if tzid else factory.from_ical(val)
        except (ValueError, TypeError) as error:
            self.handle_property_parse_error(error, name, params, val, line)
            return
        value = factory(parsed)
        value.params = params
        component = self._stack[-1]
        previous = OrderedDict.get(component, name, _ABSENT)
        if previous is _ABSENT:
            OrderedDict.__setitem__(component, name, value)
        elif isinstance(previous, list):
            previous.append(value)
        else:
            OrderedDict.__setitem__(component, name, [previous, value])

    def _end(self, name: str) -> None:
        """Close the innermost component; an END that closes nothing open is skipped, and
        one that skips components closes them too (a producer that forgot their ENDs)."""
        names = [getattr(component, "name", "") for component in self._stack]
        if name.upper() not in names:
            self._record("END", f"END:{name} closes nothing")
            return
        while self._stack:
            component = self._stack.pop()
            if self._stack:
                self._stack[-1].add_component(component)
            else:
                self._components.append(component)
            if component.name == name.upper():
                return

    def handle_property_parse_error(self, exception, name, params, val, line):
        super().handle_property_parse_error(exception, name, params, val, line)
        self._attach(self._error(name, str(exception)))

    def handle_line_parse_error(self, exception):
        self._record(None, str(exception))

    def _record(self, name, message: str) -> None:
        if self._stack:
            self._stack[-1].errors.append((name, message))
        self._attach(self._error(name, message))

    def _attach(self, error: LineError) -> None:
        """Keep the error in the file's list and on its component (`line_errors`)."""
        self.errors.append(error)
        if self._stack:
            component = self._stack[-1]
            component.line_errors = [*getattr(component, "line_errors", []), error]

    def _error(self, name, message: str) -> LineError:
        component = getattr(self.component, "name", "") if self._stack else ""
        return LineError(self._line, component, name or "", message)


def _split(text: str):
    """(name, parameters, raw value, line object) of one unfolded content line."""
    match = _SIMPLE_LINE.fullmatch(text)
    if match is None:
        line = Contentline(text)
        name, params, raw = line.raw_parts()  # raises ValueError for what it cannot split
        return name, params, raw, line
    name, parameter_text, raw = match.groups()
    params = Parameters()
    if parameter_text:
        for key, quoted, plain in _PARAMETER.findall(parameter_text):
            params[key] = quoted if plain == "" and quoted else plain
    line = _Line(text)
    line._parts = (name, params, raw)
    return name, params, raw, line


@dataclass
class ReadCalendar:
    """The file's calendars, the lines that could not be read, and where components began."""

    calendars: list = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    begin_lines: list[tuple[str, int]] = field(default_factory=list)


def unfold(data: bytes) -> list[tuple[int, str]]:
    """The file's content lines with the number of the physical line each starts on.

    Raises UnicodeDecodeError (with the byte offset in the unfolded text) for bytes that are
    not UTF-8 once folds are undone."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    starts = [0]
    for match in _FOLD.finditer(data):
        starts.append(match.start())
    text = _FOLD.sub(b"", data).decode("utf-8")
    lines = []
    number = 1
    for piece in _NEWLINE.split(text):
        if piece.strip():
            lines.append((number, piece))
        number += 1
    if len(starts) > 1:
        lines = _with_physical_numbers(data, lines)
    return lines


def _with_physical_numbers(data: bytes, lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Logical line numbers turned into the physical line each content line starts on."""
    physical = 1
    numbers = []
    logical_to_physical = {}
    logical = 1
    for raw_line in re.split(rb"\r\n|\n|\r", data):
        if raw_line[:1] in (b" ", b"\t") and logical > 1:
            physical += 1
            continue
        logical_to_physical[logical] = physical
        logical += 1
        physical += 1
    for number, text in lines:
        numbers.append((logical_to_physical.get(number, number), text))
    return numbers


def read_calendar(data: bytes) -> ReadCalendar:
    """Every VCALENDAR of the file as icalendar components, with the unreadable lines."""
    parser = _Parser(
        unfold(data),
        component_factory=Calendar._get_component_factory(),
        types_factory=Calendar.types_factory,
    )
    parser.initialize_parsing()
    parser.parse_content_lines()
    components = list(parser._components)
    # Components left open at the end of a truncated file still count.
    while parser._stack:
        component = parser._stack.pop()
        if parser._stack:
            parser._stack[-1].add_component(component)
        else:
            components.append(component)
    calendars = [component for component in components if component.name == "VCALENDAR"]
    return ReadCalendar(calendars, parser.errors, parser.begin_lines)
