"""Rosters from Excel: read an .xlsx or .csv file, map its columns to 姓名, 单位, 职务, 党员 and
手机, preview what an import would do, and save all of it or nothing.

A preview sorts each data row into new people, people already there (same name in the same
organisation, or the same phone in the organisations being imported into) and rows with
errors, each with its row number in the file (the header is row 1).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Optional

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tracker.audit import record_audit
from tracker.extensions import db
from tracker.models import Organization, Person, User

# The columns an import knows, in the template's order: (key, header, longest value).
ROSTER_FIELDS = (
    ("name", _l("姓名"), 100),
    ("organization", _l("单位"), 200),
    ("title", _l("职务"), 100),
    ("party", _l("党员"), 20),
    ("phone", _l("手机"), 40),
)
# Most columns read from a file; anything to the right is ignored.
MAX_COLUMNS = 50
PARTY_YES = {"是", "党员", "中共党员", "预备党员", "y", "yes", "true", "1", "√", "✓"}
PARTY_NO = {"", "否", "群众", "非党员", "n", "no", "false", "0", "×"}
PHONE_PATTERN = re.compile(r"^[0-9+\-() ]+$")


class RosterError(ValueError):
    """A user-facing reason why a file cannot be read at all."""


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def read_table(data: bytes, filename: str) -> list[list[str]]:
    """The file's rows as text (header first), bounded by ROSTER_MAX_BYTES and ROSTER_MAX_ROWS."""
    config = current_app.config
    if len(data) > config["ROSTER_MAX_BYTES"]:
        raise RosterError(
            _("文件太大：最大 %(size)s KB。", size=config["ROSTER_MAX_BYTES"] // 1024)
        )
    limit = config["ROSTER_MAX_ROWS"] + 1
    if filename.lower().endswith(".csv"):
        rows = _read_csv(data, limit)
    elif filename.lower().endswith(".xlsx"):
        rows = _read_xlsx(data, limit)
    else:
        raise RosterError(_("请上传 .xlsx 或 .csv 文件。"))
    rows = [row for row in rows if any(row)]
    if len(rows) > limit:
        raise RosterError(_("人数太多：一个文件最多 %(count)s 人，请分开导入。", count=limit - 1))
    if len(rows) < 2:
        raise RosterError(_("文件中没有数据：第一行应为表头，从第二行起每行一人。"))
    return rows


def _read_csv(data: bytes, limit: int) -> list[list[str]]:
    # Excel in Chinese saves CSV in GB18030 (GBK) unless told otherwise.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RosterError(_("无法识别文件的编码，请另存为 UTF-8 的 CSV 或 .xlsx 文件。"))
    rows = []
    try:
        for row in csv.reader(io.StringIO(text)):
            rows.append([_text(value) for value in row[:MAX_COLUMNS]])
            if len(rows) > limit + 1000:
                break
    except csv.Error as error:
        raise RosterError(_("无法读取 CSV 文件。")) from error
    return rows


def _read_xlsx(data: bytes, limit: int) -> list[list[str]]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise RosterError(_("无法读取该 Excel 文件，请确认是 .xlsx 格式。")) from error
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for values in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
            rows.append([_text(value) for value in values])
            if len(rows) > limit + 1000:
                break
    except Exception as error:  # noqa: BLE001 - any damage inside the archive
        raise RosterError(_("无法读取该 Excel 文件，请确认是 .xlsx 格式。")) from error
    finally:
        workbook.close()
    return rows


def guess_mapping(headers: list[str]) -> dict[str, Optional[int]]:
    """Each field's column, by its header text (职务 also as 身份, 手机 as 电话…)."""
    aliases = {
        "name": ("姓名", "名字", "name"),
        "organization": ("单位", "组织", "部门", "organization"),
        "title": ("职务", "身份", "职位", "title"),
        "party": ("党员", "政治面貌", "party"),
        "phone": ("手机", "电话", "手机号", "联系电话", "phone"),
    }
    mapping: dict[str, Optional[int]] = {}
    for key, names in aliases.items():
        mapping[key] = next(
            (
                index
                for index, header in enumerate(headers)
                if any(header.lower().startswith(name) for name in names)
            ),
            None,
        )
    return mapping


@dataclass
class RosterRow:
    number: int
    values: dict[str, str]
    status: str = "new"  # new, existing, error
    errors: list[str] = field(default_factory=list)
    organization: Optional[Organization] = None
    is_party_member: bool = False


@dataclass
class Preview:
    rows: list[RosterRow]

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def has_errors(self) -> bool:
        return any(row.status == "error" for row in self.rows)


def organizations_below(organization: Organization) -> list[Organization]:
    """The organisation and every one below it: where an import may put people."""
    children: dict[Optional[int], list[Organization]] = {}
    for entry in db.session.scalars(select(Organization)):
        children.setdefault(entry.parent_id, []).append(entry)
    found, pending = [], [organization]
    seen = set()
    while pending:
        current = pending.pop()
        if current.id in seen:
            continue
        seen.add(current.id)
        found.append(current)
        pending.extend(children.get(current.id, ()))
    return found


def _digits(phone: Optional[str]) -> str:
    return "".join(char for char in phone or "" if char.isdigit())


def _cell(cells: list[str], index: Optional[int]) -> str:
    return cells[index] if index is not None and index < len(cells) else ""


def build_preview(
    organization: Organization, rows: list[list[str]], mapping: dict[str, Optional[int]]
) -> Preview:
    """Sort every data row into new, existing or error; nothing is written."""
    targets = organizations_below(organization)
    by_name = {}
    for target in targets:
        by_name.setdefault(target.name, target)
        if target.short_name:
            by_name.setdefault(target.short_name, target)
    target_ids = [target.id for target in targets]
    people = list(db.session.scalars(select(Person).where(Person.organization_id.in_(target_ids))))
    existing_names = {(person.name, person.organization_id) for person in people}
    existing_phones = {_digits(person.phone) for person in people if _digits(person.phone)}
    seen_names: dict[tuple, int] = {}
    seen_phones: dict[str, int] = {}
    result = []
    for offset, cells in enumerate(rows[1:]):
        number = offset + 2
        values = {
            key: (
                cells[mapping[key]]
                if mapping.get(key) is not None and mapping[key] < len(cells)
                else ""
            )
            for key, _label, _longest in ROSTER_FIELDS
        }
        row = RosterRow(number, values)
        for key, label, longest in ROSTER_FIELDS:
            if len(values[key]) > longest:
                row.errors.append(
                    _("%(field)s太长（最多 %(count)s 个字）", field=label, count=longest)
                )
        if not values["name"]:
            row.errors.append(_("缺少姓名"))
        if values["organization"]:
            row.organization = by_name.get(values["organization"])
            if row.organization is None:
                row.errors.append(
                    _("单位“%(name)s”不是本组织或其下级组织", name=values["organization"])
                )
        else:
            row.organization = organization
        party = values["party"].lower()
        if party in PARTY_YES:
            row.is_party_member = True
        elif party not in PARTY_NO:
            row.errors.append(_("党员一栏应填“是”或“否”"))
        phone = values["phone"]
        if phone and (not PHONE_PATTERN.match(phone) or len(_digits(phone)) < 7):
            row.errors.append(_("手机号格式不正确"))
        if not row.errors:
            name_key = (values["name"], row.organization.id)
            phone_key = _digits(phone)
            if name_key in seen_names:
                row.errors.append(_("与第 %(number)s 行重复", number=seen_names[name_key]))
            elif phone_key and phone_key in seen_phones:
                row.errors.append(_("手机号与第 %(number)s 行重复", number=seen_phones[phone_key]))
            else:
                seen_names[name_key] = number
                if phone_key:
                    seen_phones[phone_key] = number
                if name_key in existing_names or (phone_key and phone_key in existing_phones):
                    row.status = "existing"
        if row.errors:
            row.status = "error"
        result.append(row)
    return Preview(result)


def save_preview(preview: Preview, user: User) -> int:
    """Add every new person of an error-free preview in one transaction; the number added."""
    if preview.has_errors:
        raise RosterError(_("名单中有错误，未导入任何人员。请改正后重新上传。"))
    added = []
    for row in preview.rows:
        if row.status != "new":
            continue
        person = Person(
            name=row.values["name"],
            organization=row.organization,
            title=row.values["title"] or None,
            is_party_member=row.is_party_member,
            phone=row.values["phone"] or None,
        )
        db.session.add(person)
        added.append(person)
    try:
        db.session.flush()
        for person in added:
            record_audit(
                "create",
                person,
                changes={
                    "name": [None, person.name],
                    "organization": [None, person.organization.name],
                },
                user=user,
                summary=person.name,
            )
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise RosterError(_("保存失败，未导入任何人员。请重试。")) from error
    return len(added)


def template_xlsx() -> bytes:
    """An empty roster: the headers, in the order a mapping step expects by default."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(_("人员名单"))
    sheet.append([str(label) for _key, label, _longest in ROSTER_FIELDS])
    for letter, width in zip("ABCDE", (12, 30, 16, 8, 16), strict=True):
        sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
