"""Placeholder photos for the demo data: Pillow-drawn pictures, each clearly marked 示意图
(illustration) on the image, with the photo reports' captions.

The first two captions are the report's own words; the others follow the report's facts in
the same style. The pictures are made once per process and saved through the same service
as an upload, so they are processed (scaled, stripped, thumbnailed) like real photos.
"""

from __future__ import annotations

import io
import os
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import func, select

from tracker.demo import demo_uid
from tracker.extensions import db
from tracker.media.services import PhotoUpload, add_photos
from tracker.models import Event, Photo

# Demo event key -> the captions of its photos.
DEMO_CAPTIONS = {
    "party-day-dangzhengban-branch-2": [
        "高新区党政办第二党支部到苏兆征故居陈列馆开展主题党日活动。",
    ],
    "reading-jinding-health-centre": [
        "金鼎社区卫生服务中心党支部在会同书店开展“红色经典”读书分享会，提升党性修养。",
    ],
    "visits-huazhou-party-members": [
        "扶贫办与派驻化州市扶贫工作组在建党98周年之际走访慰问高坡村困难党员和老党员。",
    ],
    "party-day-jishan-community": [
        "鸡山社区党组织50名党员在广州辛亥革命纪念馆开展“不忘初心、牢记使命”主题教育党日活动。",
        "鸡山社区党组织党员随后参观广州起义纪念馆。",
    ],
    "study-tour-houhuan-community": [
        "后环社区党委组织全体党员到开平周文雍、陈铁军烈士纪念馆参观学习。",
    ],
    "finance-fair-shuangzi-liandong": [
        "“双自联动”银企对接会在“港湾1号”科创园举行，9家金融机构设展位并路演。",
    ],
    "safety-month-jinfeng-school": [
        "安全生产宣传教育走进金峰学校，100名学生参加地震避险和疏散演练。",
    ],
    "contest-ankang-cup": [
        "“安康杯”安全生产知识竞赛在健帆生物科技集团股份有限公司举行，10支队伍同场竞技。",
        "健帆代表队摘得“安康杯”安全生产知识竞赛桂冠。",
    ],
}
PLACEHOLDER_MARK = "示意图"
PLACEHOLDER_SIZE = (640, 426)
# CJK fonts to draw the mark with (Debian's fonts-noto-cjk, then common others).
CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)


def _font(size: int):
    for path in CJK_FONTS:
        if os.path.exists(path):
            return ImageFont.truetype(path, size), True
    return ImageFont.load_default(size), False


@lru_cache(maxsize=32)
def placeholder_photo(caption: str, number: int = 0, size=PLACEHOLDER_SIZE) -> bytes:
    """A JPEG illustration: coloured bands, the mark 示意图 large in the middle, the
    caption small at the bottom."""
    width, height = size
    hue = (number * 47 + len(caption) * 13) % 255
    image = Image.new("RGB", size, (40 + hue // 3, 90, 140 - hue // 4))
    draw = ImageDraw.Draw(image)
    for band in range(0, height, 40):
        shade = 60 + (band * 3 + hue) % 120
        draw.rectangle([0, band, width, band + 20], fill=(shade, 110, 160 - shade // 3))
    mark_font, has_cjk = _font(height // 5)
    mark = PLACEHOLDER_MARK if has_cjk else "ILLUSTRATION"
    box = draw.textbbox((0, 0), mark, font=mark_font)
    position = ((width - (box[2] - box[0])) // 2, (height - (box[3] - box[1])) // 2 - box[1])
    draw.rectangle(
        [
            position[0] - 30,
            position[1] + box[1] - 20,
            position[0] + box[2] + 30,
            position[1] + box[3] + 20,
        ],
        fill=(255, 255, 255),
        outline=(179, 38, 30),
        width=8,
    )
    draw.text(position, mark, font=mark_font, fill=(179, 38, 30))
    caption_font, _has_cjk = _font(max(14, height // 32))
    if has_cjk:
        draw.text(
            (20, height - height // 12), caption[:40], font=caption_font, fill=(255, 255, 255)
        )
    output = io.BytesIO()
    image.save(output, "JPEG", quality=80)
    return output.getvalue()


def load_demo_photos() -> int:
    """Give each demo event without photos its placeholder photos; how many were added."""
    uids = {demo_uid(key): key for key in DEMO_CAPTIONS}
    with_photos = set(
        db.session.scalars(select(Photo.event_id).group_by(Photo.event_id).having(func.count() > 0))
    )
    added = 0
    for event in db.session.scalars(select(Event).where(Event.uid.in_(uids)).order_by(Event.id)):
        if event.id in with_photos:
            continue
        captions = DEMO_CAPTIONS[uids[event.uid]]
        uploads = [
            PhotoUpload(f"demo-{index + 1}.jpg", placeholder_photo(caption, index), caption)
            for index, caption in enumerate(captions)
        ]
        added += len(add_photos(event, uploads, None))
    return added
