"""Attachments told apart by their content, never by their name: PDF, Office Open XML
(.docx/.xlsx/.pptx), OpenDocument (.odt/.ods/.odp) and the old binary Office files."""

from __future__ import annotations

import io
import zipfile
from typing import Optional

PDF_MAGIC = b"%PDF-"
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")  # .doc, .xls, .ppt (Compound File Binary)
ZIP_MAGIC = b"PK\x03\x04"
# A zip with more entries than this is not an office document (and is not opened further).
MAX_ZIP_ENTRIES = 5000
OOXML_PARTS = {
    "word/document.xml": "docx",
    "xl/workbook.xml": "xlsx",
    "ppt/presentation.xml": "pptx",
}
ODF_TYPES = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
    b"application/vnd.oasis.opendocument.presentation": "odp",
}
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "ole": "application/octet-stream",
}
EXTENSIONS = {kind: kind for kind in MEDIA_TYPES} | {"ole": "doc"}


class MacroDocument(ValueError):
    """An office file carrying macros (VBA), which is not kept."""


def attachment_kind(data: bytes) -> Optional[str]:
    """The kind of document `data` is, or None when it is none we keep.

    Raises `MacroDocument` for an Office Open XML file with a VBA project in it."""
    if data.startswith(PDF_MAGIC):
        return "pdf"
    if data.startswith(OLE_MAGIC):
        return "ole"
    if not data.startswith(ZIP_MAGIC):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES:
                return None
            names = {entry.filename for entry in entries}
            if "mimetype" in names:
                with archive.open("mimetype") as mimetype:
                    return ODF_TYPES.get(mimetype.read(100).strip())
            if "[Content_Types].xml" not in names:
                return None
            if any(name.lower().endswith("vbaproject.bin") for name in names):
                raise MacroDocument()
            for part, kind in OOXML_PARTS.items():
                if part in names:
                    return kind
    except (zipfile.BadZipFile, OSError, EOFError, KeyError, RuntimeError):
        return None
    return None
