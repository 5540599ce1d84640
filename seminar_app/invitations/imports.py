"""Importing invitees from a CSV or XLSX file: upload -> preview (nothing saved) -> confirm.

The file is kept as an Upload between the preview and the confirmation (see
services/invitations/invitee_import.py); the confirm form names it by id, and the service checks
that it
is this event's import by the current user.
"""

import logging
from contextlib import suppress

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..i18n import current_language
from ..services.access import Permission
from ..services.errors import ServiceError
from ..services.invitations import import_template as templates
from ..services.invitations import invitations as invitation_service
from ..services.invitations import invitee_import as service
from ..view_helpers import attach_error, form_status, load_event_with_permissions, requested_page
from . import bp
from .forms_invitees import ImportConfirmForm, ImportDiscardForm, ImportUploadForm

log = logging.getLogger(__name__)
#: rows shown per page of the preview
PREVIEW_PER_PAGE = 500


def _load(event_id: int):
    event, permissions = load_event_with_permissions(event_id, Permission.INVITE)
    return event, {"can_manage": Permission.MANAGE in permissions,
                   "can_checkin": Permission.CHECKIN in permissions, "can_invite": True}


def _render_upload(event, tabs, form, status=200):
    return render_template("invitations/import_upload.html", event=event, form=form,
                           max_rows=service.MAX_ROWS,
                           max_megabytes=f"{service.max_bytes() / (1024 * 1024):g}",
                           **tabs), status


def _read_file(storage) -> tuple[bytes | None, str]:
    """The uploaded bytes (read up to one byte over the limit) and the file's name."""
    if storage is None or not getattr(storage, "filename", ""):
        return None, ""
    return storage.read(service.max_bytes() + 1), storage.filename


@bp.route("/events/<int:event_id>/invitations/import", methods=["GET", "POST"])
@login_required
def import_upload(event_id: int):
    """Choose a file; it is read and checked, then shown as a preview."""
    event, tabs = _load(event_id)
    form = ImportUploadForm()
    if not form.validate_on_submit():
        return _render_upload(event, tabs, form, status=form_status(form))
    data, filename = _read_file(request.files.get(form.file.name))
    if data is None:
        form.file.errors = [_("Choose a CSV or Excel file.")]
        return _render_upload(event, tabs, form, status=422)
    try:
        upload = service.store_import_file(event, data, filename, actor=current_user)
    except ServiceError as error:
        return _render_upload(event, tabs, form, status=attach_error(form, error))
    return redirect(url_for(".import_preview", event_id=event.id, file=upload.id), 303)


def _render_preview(event, tabs, upload, confirm_form, status=200):
    group = confirm_form.group_name.data or ""
    analysis = service.analyse(event, service.parse_file(upload.data), group_name=group)
    only_problems = request.args.get("show") == "problems"
    rows = [row for row in analysis.rows if not row.ok] if only_problems else analysis.rows
    pages = max(1, -(-len(rows) // PREVIEW_PER_PAGE))
    page = min(requested_page(), pages)
    shown = rows[(page - 1) * PREVIEW_PER_PAGE: page * PREVIEW_PER_PAGE]
    return render_template(
        "invitations/import_preview.html", event=event, upload=upload,
        filename=service.import_filename(upload), analysis=analysis, rows=shown, page=page,
        pages=pages, only_problems=only_problems, form=confirm_form,
        discard_form=ImportDiscardForm(formdata=None, data={"file": upload.id}),
        field_labels=service.FIELD_LABELS, groups=invitation_service.invitee_groups(event),
        **tabs), status


@bp.get("/events/<int:event_id>/invitations/import/template.<any(csv, xlsx):file_format>")
@login_required
def import_template(event_id: int, file_format: str):
    """An empty import file (CSV or XLSX) with the columns in the page's language."""
    _load(event_id)
    language = current_language()
    name = "undangan-template" if language == "id" else "invitees-template"
    return Response(templates.import_template(file_format, language),
                    mimetype=templates.FORMATS[file_format],
                    headers={"Content-Disposition": f'attachment; filename="{name}.{file_format}"',
                             "Cache-Control": "no-store"})


@bp.get("/events/<int:event_id>/invitations/import/preview")
@login_required
def import_preview(event_id: int):
    """Every row of the uploaded file with its problems; nothing has been saved yet."""
    event, tabs = _load(event_id)
    file_id = request.args.get("file", type=int)
    if file_id is None:
        return _render_upload(event, tabs, ImportUploadForm(formdata=None))
    try:
        upload = service.get_import_file(event, file_id, actor=current_user)
        form = ImportConfirmForm(formdata=None, data={"file": upload.id})
        return _render_preview(event, tabs, upload, form)
    except ServiceError as error:
        flash(error.message, "warning")
        return redirect(url_for(".import_upload", event_id=event.id), 303)


@bp.post("/events/<int:event_id>/invitations/import/confirm")
@login_required
def import_confirm(event_id: int):
    """Import the valid rows of the previewed file."""
    event, tabs = _load(event_id)
    form = ImportConfirmForm()
    valid = form.validate_on_submit()
    try:
        upload = service.get_import_file(event, form.file.data, actor=current_user)
    except ServiceError as error:
        flash(error.message, "warning")
        return redirect(url_for(".import_upload", event_id=event.id), 303)
    if not valid:
        return _render_preview(event, tabs, upload, form, status=422)
    try:
        result = service.import_invitees(event, upload, on_existing=form.on_existing.data,
                                         group_name=form.group_name.data or "",
                                         actor=current_user)
    except ServiceError as error:
        status = attach_error(form, error)
        upload = service.get_import_file(event, form.file.data, actor=current_user)
        return _render_preview(event, tabs, upload, form, status=status)
    message = _("Import finished: %(created)d added, %(updated)d updated, %(skipped)d already on "
                "the list skipped, %(invalid)d rows with problems left out.",
                created=result.created, updated=result.updated, skipped=result.skipped,
                invalid=result.invalid)
    flash(message, "success" if not result.invalid else "warning")
    current_app.logger.info("invitee import for event %s: %s", event.id, result)
    return redirect(url_for(".invitees", event_id=event.id), 303)


@bp.post("/events/<int:event_id>/invitations/import/discard")
@login_required
def import_discard(event_id: int):
    """Forget the previewed file without importing it."""
    event, _tabs = _load(event_id)
    form = ImportDiscardForm()
    if form.validate_on_submit():
        with suppress(ServiceError):  # the file is gone already: nothing to discard
            service.discard_import_file(
                service.get_import_file(event, form.file.data, actor=current_user))
    flash(_("The file was discarded; nothing was imported."), "info")
    return redirect(url_for(".import_upload", event_id=event.id), 303)
