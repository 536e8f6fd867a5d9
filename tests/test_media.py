"""Event photos and attachments: uploads processed and stripped of EXIF, bad input refused
with nothing saved, files served only to those who may see the event, gallery and feed."""

import io
import re
import struct
import zipfile
import zlib

import pytest
from icalendar import Calendar
from PIL import ExifTags, Image
from sqlalchemy import func, select

from tracker.media import services
from tracker.media.storage import file_store
from tracker.models import Attachment, Event, Photo

GPS_IFD = ExifTags.IFD.GPSInfo
ORIENTATION = 0x0112


def jpeg(size=(64, 48), color="red", gps=False, orientation=None, noise=False) -> bytes:
    """A JPEG, optionally with a GPS position and an orientation tag in its EXIF."""
    image = Image.effect_noise(size, 80).convert("RGB") if noise else Image.new("RGB", size, color)
    exif = Image.Exif()
    if orientation:
        exif[ORIENTATION] = orientation
    if gps:
        exif[ExifTags.Base.Make] = "TestCam"
        exif.get_ifd(GPS_IFD).update(
            {
                ExifTags.GPS.GPSLatitudeRef: "N",
                ExifTags.GPS.GPSLatitude: (22.0, 16.0, 30.0),
                ExifTags.GPS.GPSLongitudeRef: "E",
                ExifTags.GPS.GPSLongitude: (113.0, 34.0, 12.0),
            }
        )
    output = io.BytesIO()
    image.save(output, "JPEG", exif=exif)
    return output.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a huge size in a few hundred bytes: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
        + chunk(b"IEND", b"")
    )


def docx_bytes() -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return output.getvalue()


@pytest.fixture(autouse=True)
def own_uploads_folder(app, tmp_path):
    """Each test's files in a folder of its own, so it sees only what it stored."""
    app.config["UPLOADS_FOLDER"] = str(tmp_path / "uploads")


@pytest.fixture
def setting(app):
    """Change a setting for one test."""
    saved = {}

    def change(**values):
        for name, value in values.items():
            saved.setdefault(name, app.config[name])
            app.config[name] = value

    yield change
    app.config.update(saved)


@pytest.fixture
def hosted(make_organization, make_event, make_user):
    """Organisation A's event, its coordinator, and B's coordinator."""
    organization_a = make_organization(name="甲社区")
    organization_b = make_organization(name="乙社区")
    event = make_event(title="甲的活动", hosts=[organization_a])
    return {
        "event": event,
        "coordinator_a": make_user("coordinator_a", organization=organization_a),
        "coordinator_b": make_user("coordinator_b", organization=organization_b),
    }


def _upload(client, csrf_token, event_id, files, captions=()):
    data = {"csrf_token": csrf_token(f"/events/{event_id}/photos")}
    for index, (name, content) in enumerate(files):
        data[f"photo-{index}"] = (io.BytesIO(content), name)
    for index, caption in enumerate(captions):
        data[f"caption-{index}"] = caption
    return client.post(f"/events/{event_id}/photos", data=data, content_type="multipart/form-data")


def _stored_files(app) -> list[str]:
    return list(file_store(app).keys())


def test_uploaded_photos_lose_gps_and_every_exif_tag_and_are_turned_upright(
    app, db, client, sign_in, csrf_token, hosted
):
    original = jpeg(gps=True, orientation=6)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD), "the test photo has GPS"
    sign_in(hosted["coordinator_a"])
    event_id = hosted["event"].id

    response = _upload(
        client,
        csrf_token,
        event_id,
        [("带定位.jpg", original), ("无定位.jpg", jpeg(color="blue"))],
        ["第一张", "第二张"],
    )

    assert response.status_code == 302, response.text
    photos = db.session.scalars(select(Photo).order_by(Photo.position)).all()
    assert [(photo.caption, photo.position) for photo in photos] == [("第一张", 0), ("第二张", 1)]
    # Orientation 6 (rotated 90°) is applied: the 64×48 picture is stored 48×64.
    assert (photos[0].width, photos[0].height) == (48, 64)
    for photo in photos:
        for url in (f"/photos/{photo.id}.jpg", f"/photos/{photo.id}/thumbnail.jpg"):
            stored = client.get(url)
            assert stored.status_code == 200 and stored.mimetype == "image/jpeg"
            image = Image.open(io.BytesIO(stored.data))
            assert dict(image.getexif()) == {}
            assert b"Exif" not in stored.data and b"TestCam" not in stored.data
    # Content-addressed; a photo no larger than a thumbnail is its own thumbnail.
    assert all(photo.thumbnail_key == photo.file_key for photo in photos)
    assert sorted(_stored_files(app)) == sorted(photo.file_key for photo in photos)


def test_photos_are_scaled_down_to_the_longest_side_setting(
    app, db, client, sign_in, csrf_token, hosted, setting
):
    setting(PHOTOS_MAX_SIDE=100, PHOTOS_THUMBNAIL_SIDE=40)
    sign_in(hosted["coordinator_a"])
    response = _upload(
        client, csrf_token, hosted["event"].id, [("大图.jpg", jpeg(size=(400, 200)))]
    )
    assert response.status_code == 302
    photo = db.session.scalar(select(Photo))
    assert (photo.width, photo.height) == (100, 50)
    thumbnail = Image.open(io.BytesIO(client.get(f"/photos/{photo.id}/thumbnail.jpg").data))
    assert thumbnail.size == (40, 20)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bomb.png", png_header_only(40_000, 40_000), "像素过多"),
        ("truncated.jpg", jpeg(size=(300, 300), noise=True)[:3000], "损坏或不完整"),
        ("notes.jpg", "这不是图片".encode(), "不是图片文件"),
        ("minutes.pdf", b"%PDF-1.4\n%...", "不是图片文件"),
        ("../../etc/passwd.jpg", jpeg(), "路径字符"),
        ("相册/活动.jpg", jpeg(), "路径字符"),
        ("empty.jpg", b"", "文件是空的"),
    ],
    ids=["bomb", "truncated", "text", "pdf", "dot-dot-slash", "folder", "empty"],
)
def test_bad_uploads_are_refused_with_a_message_and_nothing_is_saved(
    app, db, client, sign_in, csrf_token, hosted, name, content, message
):
    sign_in(hosted["coordinator_a"])
    event = hosted["event"]
    sequence = event.sequence

    # A good photo beside the bad one is not saved either: all or nothing.
    response = _upload(client, csrf_token, event.id, [("好的.jpg", jpeg()), (name, content)])

    assert response.status_code == 422
    assert message in response.text and "未保存任何照片" in response.text
    assert db.session.scalar(select(func.count(Photo.id))) == 0
    assert _stored_files(app) == []
    db.session.refresh(event)
    assert event.sequence == sequence


def test_a_photo_over_the_file_limit_and_a_request_over_the_upload_limit_are_refused(
    app, db, client, sign_in, csrf_token, hosted, setting
):
    setting(PHOTOS_MAX_FILE_BYTES=2000)
    sign_in(hosted["coordinator_a"])
    event_id = hosted["event"].id
    too_large = _upload(
        client, csrf_token, event_id, [("大.jpg", jpeg(size=(300, 300), noise=True))]
    )
    assert too_large.status_code == 422 and "文件太大（最大 2 KiB）" in too_large.text
    setting(PHOTOS_MAX_UPLOAD_BYTES=20_000)
    request_too_large = _upload(
        client, csrf_token, event_id, [("大.jpg", jpeg(size=(600, 600), noise=True))]
    )
    assert request_too_large.status_code == 413
    assert db.session.scalar(select(func.count(Photo.id))) == 0 and _stored_files(app) == []
    # The global limit still holds elsewhere, the photo upload may carry more.
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024


def test_a_failed_commit_removes_the_files_it_wrote(app, db, hosted, monkeypatch):
    def fail():
        raise RuntimeError("database gone")

    monkeypatch.setattr(db.session, "commit", fail)
    with pytest.raises(RuntimeError):
        services.add_photos(hosted["event"], [services.PhotoUpload("a.jpg", jpeg(), "说明")], None)
    monkeypatch.undo()
    assert db.session.scalar(select(func.count(Photo.id))) == 0
    assert _stored_files(app) == []


def _internal_event_with_photo(db, hosted):
    event = hosted["event"]
    event.visibility = "internal"
    db.session.commit()
    [photo] = services.add_photos(event, [services.PhotoUpload("a.jpg", jpeg(), "内部")], None)
    return event, photo


def test_an_internal_events_photos_answer_404_to_anonymous_and_other_organisations(app, db, hosted):
    event, photo = _internal_event_with_photo(db, hosted)
    urls = [f"/photos/{photo.id}.jpg", f"/photos/{photo.id}/thumbnail.jpg"]
    anonymous = app.test_client()
    for url in urls:
        assert anonymous.get(url).status_code == 404, url
    for role, expected in (("coordinator_b", 404), ("coordinator_a", 200)):
        client = app.test_client()
        page = client.get("/login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        client.post(
            "/login",
            data={"username": role, "password": "correct horse battery", "csrf_token": token},
        )
        for url in urls:
            response = client.get(url)
            assert response.status_code == expected, (role, url)
            if expected == 200:
                assert response.headers["Cache-Control"] == "private, no-store"
        ledger = client.get(f"/events/{event.id}/ledger.docx")
        assert ledger.status_code == expected, role


def test_public_photos_show_in_the_gallery_and_as_attach_in_the_public_feed(
    app, db, client, hosted
):
    event = hosted["event"]
    photos = services.add_photos(
        event,
        [
            services.PhotoUpload("a.jpg", jpeg(color="red"), "第一张说明"),
            services.PhotoUpload("b.png", _png_with_alpha(), "第二张说明"),
        ],
        None,
    )
    page = client.get(f"/events/{event.id}").text
    assert page.index("第一张说明") < page.index("第二张说明")
    assert f"/photos/{photos[0].id}/thumbnail.jpg" in page
    feed = Calendar.from_ical(client.get("/calendar.ics").data)
    [vevent] = feed.walk("VEVENT")
    attachments = vevent.get("ATTACH")
    assert [str(value) for value in attachments] == [
        f"http://localhost/photos/{photos[0].id}.jpg",
        f"http://localhost/photos/{photos[1].id}.png",
    ]
    assert [value.params["FMTTYPE"] for value in attachments] == ["image/jpeg", "image/png"]
    assert client.get(f"/photos/{photos[1].id}.png").mimetype == "image/png"


def _png_with_alpha() -> bytes:
    output = io.BytesIO()
    Image.new("RGBA", (30, 20), (0, 128, 0, 100)).save(output, "PNG")
    return output.getvalue()


def test_an_internal_events_photos_stay_out_of_feeds(app, db, client, hosted):
    event, photo = _internal_event_with_photo(db, hosted)
    event.visibility = "public"
    db.session.commit()
    assert f"/photos/{photo.id}.jpg" in client.get("/calendar.ics").text
    event.visibility = "internal"
    db.session.commit()
    assert "ATTACH" not in client.get("/calendar.ics").text


def test_captions_and_order_are_changed_and_a_deleted_photos_files_go(
    app, db, client, sign_in, csrf_token, hosted
):
    event = hosted["event"]
    first, second = services.add_photos(
        event,
        [
            services.PhotoUpload("a.jpg", jpeg(color="red"), "甲"),
            services.PhotoUpload("b.jpg", jpeg(color="blue"), "乙"),
        ],
        None,
    )
    sign_in(hosted["coordinator_a"])
    token = csrf_token(f"/events/{event.id}/photos")
    response = client.post(
        f"/events/{event.id}/photos/update",
        data={
            "csrf_token": token,
            f"position-{first.id}": "2",
            f"position-{second.id}": "1",
            f"caption-{first.id}": "甲（改）",
            f"caption-{second.id}": "乙",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert [(photo.id, photo.caption) for photo in services.event_photos(event.id)] == [
        (second.id, "乙"),
        (first.id, "甲（改）"),
    ]
    kept_files = {second.file_key, second.thumbnail_key}
    delete = f"/events/{event.id}/photos/{first.id}/delete"
    confirm = client.post(delete, data={"csrf_token": token})
    assert confirm.status_code == 200 and "删除这张照片？" in confirm.text
    assert len(_stored_files(app)) == 2
    response = client.post(delete, data={"csrf_token": token, "confirmed": "yes"})
    assert response.status_code == 302
    assert set(_stored_files(app)) == kept_files
    assert client.get(f"/photos/{first.id}.jpg").status_code == 404


def test_deleting_an_event_removes_its_files_but_not_those_another_event_uses(
    app, db, make_event, hosted
):
    shared = jpeg(color="green")
    services.add_photos(hosted["event"], [services.PhotoUpload("a.jpg", shared, "")], None)
    services.add_photos(hosted["event"], [services.PhotoUpload("b.jpg", jpeg(color="navy"))], None)
    other = make_event(title="另一个活动")
    services.add_photos(other, [services.PhotoUpload("a.jpg", shared, "")], None)
    assert len(_stored_files(app)) == 2  # small photos are their own thumbnails
    db.session.delete(db.session.get(Event, hosted["event"].id))
    db.session.commit()
    assert db.session.scalar(select(func.count(Photo.id))) == 1
    assert _stored_files(app) == [db.session.scalar(select(Photo.file_key))]


@pytest.mark.parametrize(
    ("name", "content", "kind", "message"),
    [
        ("会议记录.docx", docx_bytes(), "docx", None),
        ("签到表.pdf", b"%PDF-1.7\n1 0 obj\n", "pdf", None),
        ("伪装.pdf", b"MZ\x90\x00 not a pdf", None, "内容不是这些格式"),
        ("照片.docx", jpeg(), None, "内容不是这些格式"),
        ("../签到表.pdf", b"%PDF-1.7\n", None, "路径字符"),
    ],
    ids=["docx", "pdf", "exe-named-pdf", "jpeg-named-docx", "path"],
)
def test_attachments_are_typed_by_content_not_by_name(
    app, db, client, sign_in, csrf_token, hosted, name, content, kind, message
):
    event = hosted["event"]
    sign_in(hosted["coordinator_a"])
    response = client.post(
        f"/events/{event.id}/attachments",
        data={
            "csrf_token": csrf_token(f"/events/{event.id}/photos"),
            "attachment": (io.BytesIO(content), name),
        },
        content_type="multipart/form-data",
    )
    attachment = db.session.scalar(select(Attachment))
    if kind is None:
        assert response.status_code == 422 and message in response.text
        assert attachment is None and _stored_files(app) == []
        return
    assert response.status_code == 302
    assert attachment.kind == kind
    download = client.get(f"/attachments/{attachment.id}")
    assert download.status_code == 200 and download.data == content
    assert download.headers["Content-Disposition"].startswith("attachment;")
    # Attachments may name people (sign-in sheets): not for anonymous visitors.
    assert app.test_client().get(f"/attachments/{attachment.id}").status_code == 302


def test_heic_photos_from_phones_are_kept_as_jpeg_without_their_gps(app, db, client, hosted):
    exif = Image.open(io.BytesIO(jpeg(gps=True))).getexif()
    heic = io.BytesIO()
    Image.new("RGB", (64, 48), "orange").save(heic, "HEIF", exif=exif.tobytes())
    assert Image.open(io.BytesIO(heic.getvalue())).getexif().get_ifd(GPS_IFD)
    [photo] = services.add_photos(
        hosted["event"], [services.PhotoUpload("IMG_0001.HEIC", heic.getvalue(), "手机照片")], None
    )
    stored = client.get(f"/photos/{photo.id}.jpg")
    assert stored.status_code == 200 and photo.media_type == "image/jpeg"
    assert dict(Image.open(io.BytesIO(stored.data)).getexif()) == {}
    assert b"TestCam" not in stored.data


def test_an_attachment_over_its_limit_is_refused_with_the_limit_named(app, db, hosted, setting):
    setting(ATTACHMENTS_MAX_FILE_BYTES=1024)
    with pytest.raises(services.UploadRefused) as refused:
        services.add_attachment(hosted["event"], "记录.pdf", b"%PDF-1.7\n" + b"0" * 2000, "", None)
    assert "文件太大（最大 1 KiB）" in refused.value.messages[0]
    assert db.session.scalar(select(func.count(Attachment.id))) == 0 and _stored_files(app) == []
