"""The 活动台账 as a Word document (python-docx): one activity's record, or a bound volume
with a cover, a table of contents, one record per activity and a closing summary.

Chinese fonts are set in the document's styles, on the East Asian slot (`w:eastAsia`) as
well as the Latin ones, and the headings lose their theme fonts, so that WPS and Word both
show 宋体 body text, 黑体 headings and 仿宋 captions whatever fonts their default theme has.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Optional

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from flask_babel import gettext as _

from tracker.ledger.facts import LedgerPage

BODY_FONT = "宋体"
HEADING_FONT = "黑体"
CAPTION_FONT = "仿宋"
LATIN_FONT = "Times New Roman"
LABEL_SHADING = "EDEDED"
LABEL_WIDTH = Cm(3.2)
VALUE_WIDTH = Cm(12.8)
PHOTO_WIDTH = Cm(7.4)
CAPTION_STYLE = "台账图注"
TABLE_TEXT_STYLE = "台账表格"
SETTINGS_AFTER_UPDATE_FIELDS = (
    "hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars", "rsids", "mathPr",
    "attachedSchema", "themeFontLang", "clrSchemeMapping", "doNotIncludeSubdocsInStats",
    "doNotAutoCompressPictures", "forceUpgrade", "captions", "readModeInkLockDown",
    "smartTagType", "schemaLibrary", "shapeDefaults", "doNotEmbedSmartTags", "decimalSymbol",
    "listSeparator",
)  # fmt: skip


@dataclass
class SummaryTable:
    """A titled table of the closing summary."""

    title: str
    headers: list[str]
    rows: list[list[str]]


def _set_fonts(style_or_run_properties, east_asian: str, latin: str = LATIN_FONT) -> None:
    """Name the fonts of every script slot, dropping theme fonts that would override them."""
    fonts = style_or_run_properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        style_or_run_properties.insert(0, fonts)
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        if fonts.get(qn(attribute)) is not None:
            del fonts.attrib[qn(attribute)]
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:cs"), latin)
    fonts.set(qn("w:eastAsia"), east_asian)


def _style_fonts(style, east_asian: str, size: Optional[float] = None, bold=None) -> None:
    style.font.name = LATIN_FONT
    if size is not None:
        style.font.size = Pt(size)
    if bold is not None:
        style.font.bold = bold
    style.font.color.rgb = RGBColor(0, 0, 0)
    _set_fonts(style.element.get_or_add_rPr(), east_asian)


def new_document(title: str) -> Document:
    """An A4 document with the ledger's styles."""
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2.5)
    section.left_margin = section.right_margin = Cm(2.5)
    styles = document.styles
    _style_fonts(styles["Normal"], BODY_FONT, 12)
    # The theme's default fonts (docDefaults) too, for text outside any named style.
    defaults = document.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        run_defaults = defaults.find(qn("w:rPrDefault"))
        if run_defaults is not None and run_defaults.find(qn("w:rPr")) is not None:
            _set_fonts(run_defaults.find(qn("w:rPr")), BODY_FONT)
    for name, size in (("Title", 26), ("Heading 1", 18), ("Heading 2", 14), ("Heading 3", 12)):
        _style_fonts(styles[name], HEADING_FONT, size, bold=name != "Title")
    caption = styles.add_style(CAPTION_STYLE, 1)
    caption.base_style = styles["Normal"]
    _style_fonts(caption, CAPTION_FONT, 10.5)
    caption.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    table_text = styles.add_style(TABLE_TEXT_STYLE, 1)
    table_text.base_style = styles["Normal"]
    _style_fonts(table_text, BODY_FONT, 11)
    table_text.paragraph_format.space_after = Pt(0)
    _chinese_language(document)
    document.core_properties.title = title
    document.core_properties.language = "zh-CN"
    # python-docx compares each new picture with every earlier one by SHA-1, quadratic in a
    # year's photos; ours are content-addressed already, so each is added as it comes.
    document.part.package.image_parts._get_by_sha1 = lambda sha1: None
    return document


def _chinese_language(document) -> None:
    """Text is Chinese (w:lang, and the theme's East Asian language), so Word and WPS apply
    Chinese line breaking and pick the East Asian fonts."""
    normal = document.styles["Normal"].element.get_or_add_rPr()
    language = normal.find(qn("w:lang"))
    if language is None:
        language = OxmlElement("w:lang")
        normal.append(language)
    language.set(qn("w:eastAsia"), "zh-CN")
    theme_language = document.settings.element.find(qn("w:themeFontLang"))
    if theme_language is not None:
        theme_language.set(qn("w:eastAsia"), "zh-CN")


def _shade(cell, color: str) -> None:
    properties = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), color)
    properties.append(shading)


def _style_id(document, name: str) -> str:
    """A style's id, looked up once per document: python-docx looks a style given by name up
    through every style of the document at each use, thousands of times in a year's ledger."""
    cache = document.__dict__.setdefault("_ledger_style_ids", {})
    if name not in cache:
        cache[name] = document.styles[name].style_id
    return cache[name]


def _paragraph(document, text: str = "", style: Optional[str] = None):
    """A new paragraph at the end of the document, in the named style."""
    paragraph = document.add_paragraph()
    if style is not None:
        paragraph._p.style = _style_id(document, style)
    if text:
        paragraph.add_run(text)
    return paragraph


def _heading(document, text: str, level: int):
    return _paragraph(document, text, f"Heading {level}")


def _fill(cell, lines: Iterable[str], style_id: str, bold: bool = False) -> None:
    """The cell's text, one paragraph per line."""
    lines = list(lines) or [""]
    paragraph = cell.paragraphs[0]
    for index, line in enumerate(lines):
        if index:
            paragraph = cell.add_paragraph()
        paragraph._p.style = style_id
        run = paragraph.add_run(line)
        if bold:
            run.bold = True


def _grid_table(document, rows: int, columns: int):
    table = document.add_table(rows=rows, cols=columns)
    table._tbl.tblStyle_val = _style_id(document, "Table Grid")
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    return table


def add_event_page(
    document,
    page: LedgerPage,
    read_photo: Callable[[str], Optional[bytes]],
    heading_level: int = 1,
    new_page: bool = False,
) -> None:
    """One activity's record: the heading, the record table, photos two per row, the
    sign-in list when the page has one; `new_page` starts it on a page of its own."""
    heading = _heading(document, page.title, heading_level)
    heading.paragraph_format.page_break_before = new_page
    subtitle = _paragraph(document, _("活动记录表"), CAPTION_STYLE)
    subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER
    text_style = _style_id(document, TABLE_TEXT_STYLE)
    table = _grid_table(document, len(page.rows), 2)
    for row, fact in zip(table.rows, page.rows, strict=True):
        label, value = row.cells
        label.width, value.width = LABEL_WIDTH, VALUE_WIDTH
        _fill(label, [fact.label], text_style, bold=True)
        _shade(label, LABEL_SHADING)
        _fill(value, fact.lines, text_style)
    _add_photos(document, page, read_photo)
    if page.sign_in is not None:
        _heading(document, _("签到名单"), heading_level + 1)
        if not page.sign_in:
            _paragraph(document, _("无签到记录。"))
        else:
            headers = [_("序号"), _("姓名"), _("单位"), _("角色"), _("时长（小时）"), _("奖项")]
            sheet = _grid_table(document, len(page.sign_in) + 1, len(headers))
            for cell, header in zip(sheet.rows[0].cells, headers, strict=True):
                _fill(cell, [header], text_style, bold=True)
                _shade(cell, LABEL_SHADING)
            for table_row, entry in zip(sheet.rows[1:], page.sign_in, strict=True):
                values = [
                    str(entry.number),
                    entry.name,
                    entry.organization,
                    entry.role,
                    entry.hours,
                    entry.award,
                ]
                for cell, value in zip(table_row.cells, values, strict=True):
                    _fill(cell, [value], text_style)


def _add_photos(document, page: LedgerPage, read_photo) -> None:
    photos = [(photo, read_photo(photo.thumbnail_key)) for photo in page.photos]
    photos = [(photo, data) for photo, data in photos if data]
    if not photos:
        return
    _paragraph(document, _("活动照片"), "Heading 3")
    table = document.add_table(rows=(len(photos) + 1) // 2, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for index, (photo, data) in enumerate(photos):
        cell = table.rows[index // 2].cells[index % 2]
        picture = cell.paragraphs[0]
        picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
        picture.add_run().add_picture(io.BytesIO(data), width=PHOTO_WIDTH)
        if photo.caption:
            caption = cell.add_paragraph()
            caption._p.style = _style_id(document, CAPTION_STYLE)
            caption.add_run(photo.caption)


def event_ledger(page: LedgerPage, read_photo) -> bytes:
    """One activity's ledger as .docx bytes."""
    document = new_document(page.title)
    add_event_page(document, page, read_photo)
    return _saved(document)


def _page_break(document) -> None:
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _field(paragraph, instruction_text: str, placeholder: str = "") -> None:
    """A Word field (PAGE, TOC…) in the paragraph, shown as `placeholder` until updated."""
    run = paragraph.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    begin.set(qn("w:dirty"), "true")
    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = instruction_text
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    shown = OxmlElement("w:t")
    shown.text = placeholder
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    for element in (begin, instruction, separate, shown, end):
        run._r.append(element)


def _add_toc_field(document) -> None:
    """A Word TOC field over the level-1 headings; Word and WPS fill it in when the file is
    opened (updateFields) or on 更新域."""
    _field(
        document.add_paragraph(),
        'TOC \\o "1-1" \\h \\z \\u',
        _("（目录：打开文件时请选择更新域，或右键点击此处选择“更新域”。）"),
    )
    settings = document.settings.element
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    # The settings' children have a fixed order (ECMA-376 CT_Settings); Word refuses a file
    # with them out of order, so updateFields goes before the first that must follow it.
    following = {qn(f"w:{name}") for name in SETTINGS_AFTER_UPDATE_FIELDS}
    later = next((child for child in settings if child.tag in following), None)
    if later is None:
        settings.append(update)
    else:
        later.addprevious(update)


def annual_ledger(
    title: str,
    cover_lines: list[str],
    pages: Iterable[LedgerPage],
    summary: list[SummaryTable],
    read_photo,
    on_page: Optional[Callable[[int], None]] = None,
) -> bytes:
    """The bound volume: cover, table of contents, one record per activity (each on a new
    page, in the order given), and the summary tables."""
    document = new_document(title)
    for _blank in range(6):
        document.add_paragraph()
    cover = _paragraph(document, title, "Title")
    cover.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for line in cover_lines:
        paragraph = _paragraph(document, line, CAPTION_STYLE)
        paragraph.paragraph_format.space_before = Pt(12)
    _page_break(document)
    heading = _paragraph(document, _("目　录"), "Heading 2")
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _add_toc_field(document)
    footer = document.sections[0].footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _field(footer, "PAGE", "1")
    for number, page in enumerate(pages, start=1):
        add_event_page(document, page, read_photo, new_page=True)
        if on_page:
            on_page(number)
    summary_heading = _heading(document, _("年度统计汇总"), 1)
    summary_heading.paragraph_format.page_break_before = True
    text_style = _style_id(document, TABLE_TEXT_STYLE)
    for table in summary:
        _heading(document, table.title, 2)
        grid = _grid_table(document, len(table.rows) + 1, len(table.headers))
        for cell, header in zip(grid.rows[0].cells, table.headers, strict=True):
            _fill(cell, [header], text_style, bold=True)
            _shade(cell, LABEL_SHADING)
        for grid_row, values in zip(grid.rows[1:], table.rows, strict=True):
            for cell, value in zip(grid_row.cells, values, strict=True):
                _fill(cell, [value], text_style)
    return _saved(document)


def _saved(document) -> bytes:
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()
