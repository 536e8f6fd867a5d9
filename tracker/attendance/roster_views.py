"""Roster import pages: upload, column mapping with preview, confirm; and the template.

The uploaded file waits server-side between the steps, in the job store's owner-only folder,
under a random id and with its owner and organisation beside it; never in the cookie."""

from __future__ import annotations

import json
import secrets

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker.attendance import blueprint
from tracker.attendance.roster import (
    ROSTER_FIELDS,
    RosterError,
    build_preview,
    guess_mapping,
    read_table,
    save_preview,
    template_xlsx,
)
from tracker.auth.permissions import coordinates
from tracker.extensions import db
from tracker.jobs.runner import job_store
from tracker.models import Organization
from tracker.stats.export import XLSX_MIME
from tracker.web import content_disposition

BLOB = "roster"
META = "rostermeta"


def _coordinated_organization(organization_id: int) -> Organization:
    organization = db.session.get(Organization, organization_id)
    if organization is None:
        abort(404)
    if not coordinates(current_user, organization.id):
        abort(403)
    return organization


@blueprint.route("/organizations/<int:organization_id>/roster/template.xlsx")
@login_required
def roster_template(organization_id: int):
    """The empty roster to fill in."""
    _coordinated_organization(organization_id)
    response = Response(template_xlsx(), content_type=XLSX_MIME)
    response.headers["Content-Disposition"] = content_disposition(
        f"{_('人员名单模板')}.xlsx", "roster-template.xlsx"
    )
    return response


@blueprint.route("/organizations/<int:organization_id>/roster/import", methods=["GET", "POST"])
@login_required
def roster_upload(organization_id: int):
    """Step 1: choose the file."""
    organization = _coordinated_organization(organization_id)
    error = None
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            error = _("请选择要导入的文件。")
        else:
            data = upload.read()
            try:
                read_table(data, upload.filename)
            except RosterError as problem:
                error = str(problem)
            else:
                upload_id = secrets.token_hex(16)
                store = job_store()
                # Uploads left unconfirmed go the way of old jobs.
                store.forget_older_than(current_app.config["JOBS_KEEP_HOURS"] * 3600)
                store.save_blob(upload_id, BLOB, data)
                meta = {
                    "owner_id": current_user.id,
                    "organization_id": organization.id,
                    "filename": upload.filename[-200:],
                }
                store.save_blob(upload_id, META, json.dumps(meta).encode())
                return redirect(
                    url_for(
                        "attendance.roster_preview",
                        organization_id=organization.id,
                        upload_id=upload_id,
                    )
                )
    return (
        render_template("attendance/roster_upload.html", organization=organization, error=error),
        422 if error else 200,
    )


def _stored_upload(organization: Organization, upload_id: str) -> tuple[bytes, str]:
    """The uploaded file of this user for this organisation; 404 for anyone else's."""
    store = job_store()
    meta_data = store.load_blob(upload_id, META)
    data = store.load_blob(upload_id, BLOB)
    if meta_data is None or data is None:
        abort(404)
    meta = json.loads(meta_data)
    if meta["owner_id"] != current_user.id or meta["organization_id"] != organization.id:
        abort(404)
    return data, meta["filename"]


@blueprint.route(
    "/organizations/<int:organization_id>/roster/import/<upload_id>", methods=["GET", "POST"]
)
@login_required
def roster_preview(organization_id: int, upload_id: str):
    """Step 2: map the columns and see what would happen; step 3: import all or nothing."""
    organization = _coordinated_organization(organization_id)
    data, filename = _stored_upload(organization, upload_id)
    try:
        rows = read_table(data, filename)
    except RosterError:
        abort(404)
    headers = rows[0]
    mapping = guess_mapping(headers)
    source = request.form if request.method == "POST" else request.args
    for key, _label, _longest in ROSTER_FIELDS:
        chosen = source.get(f"column_{key}")
        if chosen is not None:
            mapping[key] = int(chosen) if chosen.isdigit() and int(chosen) < len(headers) else None
    status = 200
    mapping_error = None
    if mapping["name"] is None:
        mapping_error = _("请指定“姓名”所在的列。")
    preview = None if mapping_error else build_preview(organization, rows, mapping)
    if request.method == "POST" and request.form.get("confirm"):
        if preview is None:
            status = 422
        else:
            try:
                added = save_preview(preview, current_user._get_current_object())
            except RosterError as error:
                flash(str(error), "error")
                status = 422
            else:
                flash(_("已导入 %(count)s 人。", count=added), "success")
                return redirect(
                    url_for("directory.show_organization", organization_id=organization.id)
                )
    return (
        render_template(
            "attendance/roster_preview.html",
            organization=organization,
            filename=filename,
            headers=headers,
            mapping=mapping,
            fields=ROSTER_FIELDS,
            preview=preview,
            mapping_error=mapping_error,
        ),
        status,
    )
