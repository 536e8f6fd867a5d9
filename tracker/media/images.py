"""Uploaded photos made safe to keep and show: decoded with Pillow within set limits, turned
upright by their EXIF orientation, scaled down, and written again without any metadata.

Writing a new file from the decoded pixels is what removes EXIF (GPS position, camera serial,
time), XMP and comments: nothing of the uploaded file but its picture is kept.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

try:  # HEIC/HEIF photos from phones, when the plugin is installed (it is in requirements.txt).
    from pillow_heif import register_heif_opener
except ImportError:  # pragma: no cover - the plugin ships wheels for the usual platforms
    register_heif_opener = None
else:
    register_heif_opener()

# Formats an upload may be in (as Pillow names them; MPO is a phone's multi-picture JPEG).
ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "HEIF"}
JPEG_QUALITY = 85
THUMBNAIL_QUALITY = 80


class PhotoRefused(ValueError):
    """An upload that is not a photo we keep; the message is for the user."""


@dataclass(frozen=True)
class PhotoLimits:
    max_file_bytes: int
    max_pixels: int
    max_side: int
    thumbnail_side: int


@dataclass
class ProcessedPhoto:
    """A photo as it is stored: its bytes, type and size, and its thumbnail (a JPEG)."""

    data: bytes
    media_type: str
    width: int
    height: int
    thumbnail: bytes


def apply_pixel_limit(max_pixels: int) -> None:
    """Pillow's own decompression-bomb limit, set from the setting (it is process-wide):
    Pillow warns above it and refuses twice as many pixels outright."""
    Image.MAX_IMAGE_PIXELS = max_pixels


def process_photo(data: bytes, limits: PhotoLimits) -> ProcessedPhoto:
    """Decode, check, turn upright, scale down to `max_side`, strip metadata, make a thumbnail.

    Raises `PhotoRefused` for an empty or too large file, anything that is not a JPEG, PNG,
    WebP or HEIC picture, too many pixels (a decompression bomb) and a damaged file."""
    if not data:
        return _refuse(_("文件是空的。"))
    if len(data) > limits.max_file_bytes:
        return _refuse(_("文件太大（最大 %(size)s）。", size=size_text(limits.max_file_bytes)))
    image = _open(data, limits)
    try:
        return _stored_form(image, limits)
    except (OSError, ValueError, SyntaxError, EOFError):
        return _refuse(_("图片文件已损坏或不完整（可能上传中断），请重新导出后再上传。"))


def _stored_form(image: Image.Image, limits: PhotoLimits) -> ProcessedPhoto:
    """The decoded picture upright, scaled, written again without metadata, and thumbnailed."""
    try:
        picture = ImageOps.exif_transpose(image)
    except Exception:  # noqa: BLE001 - a damaged orientation tag: keep the picture as it is
        picture = image
    has_alpha = picture.mode in ("RGBA", "LA", "PA") or (
        picture.mode == "P" and "transparency" in picture.info
    )
    picture = picture.convert("RGBA" if has_alpha else "RGB")
    picture.thumbnail((limits.max_side, limits.max_side), Image.Resampling.LANCZOS)
    picture.info.clear()
    stored = io.BytesIO()
    if has_alpha:
        picture.save(stored, "PNG", optimize=False)
        media_type = "image/png"
    else:
        picture.save(stored, "JPEG", quality=JPEG_QUALITY, progressive=True)
        media_type = "image/jpeg"
    data = stored.getvalue()
    fits = max(picture.size) <= limits.thumbnail_side
    # A JPEG no larger than a thumbnail is its own thumbnail (one file, no second encoding).
    thumbnail = data if fits and not has_alpha else make_thumbnail(picture, limits.thumbnail_side)
    return ProcessedPhoto(data, media_type, picture.width, picture.height, thumbnail)


def make_thumbnail(picture: Image.Image, side: int) -> bytes:
    """A JPEG at most `side` pixels wide and high (transparency on white)."""
    small = picture.copy()
    small.thumbnail((side, side), Image.Resampling.LANCZOS, reducing_gap=2.0)
    if small.mode == "RGBA":
        background = Image.new("RGB", small.size, "white")
        background.paste(small, mask=small.getchannel("A"))
        small = background
    output = io.BytesIO()
    small.save(output, "JPEG", quality=THUMBNAIL_QUALITY)
    return output.getvalue()


def _open(data: bytes, limits: PhotoLimits) -> Image.Image:
    """The decoded picture, read only after its header passed the checks."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED_FORMATS:
                return _refuse(_("不是支持的图片格式（支持 JPEG、PNG、WebP、HEIC）。"))
            width, height = image.size
            if width * height > limits.max_pixels:
                return _refuse(_too_many_pixels(limits))
            if image.format in ("JPEG", "MPO"):
                # Decode large JPEGs at a reduced scale still above the stored size: faster
                # and less memory, the same picture once scaled down.
                image.draft("RGB", (limits.max_side, limits.max_side))
            image.load()
    except PhotoRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return _refuse(_too_many_pixels(limits))
    except UnidentifiedImageError:
        return _refuse(_("不是图片文件，或图片格式不受支持（支持 JPEG、PNG、WebP、HEIC）。"))
    except (OSError, SyntaxError, ValueError, EOFError):
        return _refuse(_("图片文件已损坏或不完整（可能上传中断），请重新导出后再上传。"))
    return image


def _too_many_pixels(limits: PhotoLimits) -> str:
    return _(
        "图片像素过多（最多 %(megapixels)s 百万像素），无法处理。",
        megapixels=limits.max_pixels // 1_000_000,
    )


def size_text(size: int) -> str:
    """A byte count as limits are told: 20 MiB, 512 KiB."""
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:g} MiB"
    return f"{size / 1024:.0f} KiB"


def _refuse(message: str):
    raise PhotoRefused(message)
