"""The photos-and-attachments page of an event, its uploads, and the files themselves.

Every file is answered only to those who may see its event (404 to everyone else, so an
internal event's files do not even show that they exist)."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from tracker.auth.permissions import (
    can_edit_event,
    can_see_event_files,
    can_see_event_records,
)
from tracker.events.queries import with_page_details
from tracker.extensions import db
from tracker.media import blueprint, services
from tracker.media.documents import EXTENSIONS, MEDIA_TYPES
from tracker.media.images import size_text
from tracker.media.storage import file_store
from tracker.models import Attachment, Event, Photo
from tracker.web import content_disposition

# Blank (file, caption) rows of the upload form: each file gets its caption, in this order.
UPLOAD_ROWS = 4
# How long browsers and proxies may keep a public event's photo (its URL names the photo,
# not the content: a replaced photo gets a new id).
PUBLIC_PHOTO_MAX_AGE = 3600


def media_context(event: Event) -> dict:
    """What the event page's photo and attachment sections show, for its view to pass."""
    user = current_user
    return {
        "photos": services.event_photos(event.id) if can_see_event_files(user, event) else [],
        "attachments": (
            services.event_attachments(event.id) if can_see_event_records(user, event) else []
        ),
        "can_see_records": can_see_event_records(user, event),
    }


def _event(event_id: int) -> Event:
    event = db.session.scalar(with_page_details(select(Event).where(Event.id == event_id)))
    if event is None:
        abort(404)
    return event


def _editable(event_id: int) -> Event:
    event = _event(event_id)
    if not can_edit_event(current_user, event):
        abort(403)
    return event


def _user():
    return current_user._get_current_object()


@blueprint.get("/events/<int:event_id>/photos")
@login_required
def manage_media(event_id: int):
    """The event's photos (captions, order, removal) and attachments, with upload forms."""
    event = _editable(event_id)
    return _render_manage(event)


def _render_manage(event: Event, messages: list[str] | None = None, status: int = 200):
    config = current_app.config
    return (
        render_template(
            "media/manage.html",
            event=event,
            photos=services.event_photos(event.id),
            attachments=services.event_attachments(event.id),
            upload_rows=range(UPLOAD_ROWS),
            messages=messages or [],
            limits={
                "files": config["PHOTOS_MAX_FILES_PER_UPLOAD"],
                "photo_size": size_text(config["PHOTOS_MAX_FILE_BYTES"]),
                "attachment_size": size_text(config["ATTACHMENTS_MAX_FILE_BYTES"]),
                "per_event": config["PHOTOS_MAX_PER_EVENT"],
                "side": config["PHOTOS_MAX_SIDE"],
            },
        ),
        status,
    )


def _uploads_of_request() -> list[services.PhotoUpload]:
    """Files of the numbered rows (each with its caption), then those of the many-files
    field, in the order the form lists them; empty file inputs are skipped."""
    uploads = []
    for index in range(UPLOAD_ROWS):
        upload = request.files.get(f"photo-{index}")
        if upload is not None and (upload.filename or "") != "":
            caption = request.form.get(f"caption-{index}", "")
            uploads.append(services.PhotoUpload(upload.filename, upload.read(), caption))
    for upload in request.files.getlist("photos"):
        if (upload.filename or "") != "":
            uploads.append(services.PhotoUpload(upload.filename, upload.read()))
    return uploads


@blueprint.post("/events/<int:event_id>/photos")
@login_required
def upload_photos(event_id: int):
    """Save the uploaded photos, all of them or (with the reasons) none."""
    event = _editable(event_id)
    try:
        photos = services.add_photos(event, _uploads_of_request(), _user())
    except services.UploadRefused as refused:
        return _render_manage(event, [_("未保存任何照片：")] + refused.messages, 422)
    flash(_("已上传 %(n)s 张照片。", n=len(photos)), "success")
    return redirect(url_for("media.manage_media", event_id=event_id))


@blueprint.post("/events/<int:event_id>/photos/update")
@login_required
def update_photos(event_id: int):
    """New captions and order of the event's photos."""
    event = _editable(event_id)
    photos = services.event_photos(event.id)
    captions = {
        photo.id: request.form[f"caption-{photo.id}"]
        for photo in photos
        if f"caption-{photo.id}" in request.form
    }

    def wanted_place(photo: Photo) -> tuple:
        given = request.form.get(f"position-{photo.id}", "")
        return (int(given) if given.strip().isdigit() else photo.position + 1, photo.position)

    order = [photo.id for photo in sorted(photos, key=wanted_place)]
    if services.update_photos(event, captions, order, _user()):
        flash(_("照片说明和顺序已保存。"), "success")
    return redirect(url_for("media.manage_media", event_id=event_id))


def _confirm_then_delete(event, kind: str, item, delete, done: str):
    """The confirmation page on the first POST; on the confirmed POST delete the item (a photo
    or an attachment, named by kind for the template) and go back to the media page."""
    if request.form.get("confirmed") != "yes":
        return render_template("media/confirm_delete.html", event=event, **{kind: item})
    delete(item, _user())
    flash(done, "success")
    return redirect(url_for("media.manage_media", event_id=event.id))


@blueprint.post("/events/<int:event_id>/photos/<int:photo_id>/delete")
@login_required
def delete_photo(event_id: int, photo_id: int):
    event = _editable(event_id)
    photo = db.session.get(Photo, photo_id)
    if photo is None or photo.event_id != event.id:
        abort(404)
    return _confirm_then_delete(event, "photo", photo, services.delete_photo, _("照片已删除。"))


@blueprint.post("/events/<int:event_id>/attachments")
@login_required
def upload_attachment(event_id: int):
    """Save one document, typed by its content."""
    event = _editable(event_id)
    upload = request.files.get("attachment")
    if upload is None or (upload.filename or "") == "":
        return _render_manage(event, [_("请选择要上传的附件。")], 422)
    try:
        services.add_attachment(
            event, upload.filename, upload.read(), request.form.get("title", ""), _user()
        )
    except services.UploadRefused as refused:
        return _render_manage(event, [_("附件未保存：")] + refused.messages, 422)
    flash(_("附件已上传。"), "success")
    return redirect(url_for("media.manage_media", event_id=event_id))


@blueprint.post("/events/<int:event_id>/attachments/<int:attachment_id>/delete")
@login_required
def delete_attachment(event_id: int, attachment_id: int):
    event = _editable(event_id)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.event_id != event.id:
        abort(404)
    return _confirm_then_delete(
        event, "attachment", attachment, services.delete_attachment, _("附件已删除。")
    )


# --- the files ------------------------------------------------------------------------------


def _visible_photo(photo_id: int) -> Photo:
    photo = db.session.get(Photo, photo_id)
    if photo is None:
        abort(404)
    event = _event(photo.event_id)
    if not can_see_event_files(current_user, event):
        abort(404)
    return photo


def _send_stored(key: str, media_type: str, is_public: bool) -> Response:
    store = file_store()
    path = store.path(key)
    if path is not None:
        response = send_file(path, mimetype=media_type, conditional=True, etag=key[:32])
    else:
        data = store.read(key)
        if data is None:
            abort(404)
        response = Response(data, mimetype=media_type)
    response.headers["Cache-Control"] = (
        f"public, max-age={PUBLIC_PHOTO_MAX_AGE}" if is_public else "private, no-store"
    )
    return response


@blueprint.get("/photos/<int:photo_id>.<extension>")
def photo_file(photo_id: int, extension: str):
    """A photo at its stored size."""
    photo = _visible_photo(photo_id)
    if extension != photo.extension:
        abort(404)
    return _send_stored(photo.file_key, photo.media_type, photo.event.is_public)


@blueprint.get("/photos/<int:photo_id>/thumbnail.jpg")
def photo_thumbnail(photo_id: int):
    photo = _visible_photo(photo_id)
    return _send_stored(photo.thumbnail_key, "image/jpeg", photo.event.is_public)


@blueprint.get("/attachments/<int:attachment_id>")
@login_required
def attachment_file(attachment_id: int):
    """An attachment, always as a download (never shown inline by the browser)."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None:
        abort(404)
    if not can_see_event_records(current_user, _event(attachment.event_id)):
        abort(404)
    response = _send_stored(attachment.file_key, MEDIA_TYPES[attachment.kind], False)
    extension = EXTENSIONS[attachment.kind]
    response.headers["Content-Disposition"] = content_disposition(
        f"{attachment.title}.{extension}", f"attachment-{attachment.id}.{extension}"
    )
    return response
