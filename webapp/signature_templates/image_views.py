"""Uploading signature images and serving them publicly at their content-addressed URL."""

from __future__ import annotations

from flask import Response, abort, flash, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from webapp.audit.record import audit_request
from webapp.extensions import db
from webapp.rendering import redirect_to, render
from webapp.security import public, render_error
from webapp.signature_templates import images, store
from webapp.signature_templates.models import ImageAsset
from webapp.signature_templates.views import admin_email, base_url_warning, bp

IMAGES = "signature_templates/images.html"
# A year, and never revalidated: the URL is the hash of the bytes, so it can't change.
# https://developer.mozilla.org/docs/Web/HTTP/Headers/Cache-Control#immutable
IMMUTABLE = "public, max-age=31536000, immutable"
TOO_LARGE = "The file is too large; images can be at most 1 MB. Export it smaller (a logo needs a few KB)."


def _images_page(*, error: str | None = None, status: int = 200) -> Response:
    listed = [
        (asset, images.image_path(asset), images.image_url(asset), images.img_snippet(asset))
        for asset in store.list_images(session=db.session)
    ]
    return render(
        IMAGES, status=status, images=listed, upload_error=error, base_url_warning=base_url_warning()
    )


@bp.get("/images")
def images_index() -> Response:
    """Uploaded images with their public URL and an `<img>` snippet to paste into a template."""
    return _images_page()


@bp.post("/images")
def upload_image() -> Response:
    """Upload a PNG, JPEG or GIF (at most 1 MB, 4000×4000 px); it is re-encoded without metadata."""
    upload = request.files.get("image")
    if upload is None or not upload.filename:
        db.session.rollback()
        return _images_page(error="Choose an image file to upload (PNG, JPEG or GIF).", status=422)
    raw = upload.stream.read(images.MAX_IMAGE_BYTES + 1)
    try:
        clean = images.clean_image(raw)
    except images.ImageRefused as refusal:
        db.session.rollback()
        return _images_page(error=refusal.message, status=422)
    asset = store.add_image(
        session=db.session,
        image=ImageAsset(
            digest=clean.digest,
            content_type=clean.content_type,
            extension=clean.extension,
            width=clean.width,
            height=clean.height,
            size=len(clean.data),
            data=clean.data,
            filename=images.clean_filename(upload.filename),
            uploaded_by=admin_email(),
        ),
    )
    summary = f"Uploaded the image {asset.digest[:12]}… ({asset.width}×{asset.height} {asset.extension})"
    audit_request("image.uploaded", summary)  # commits
    flash(
        f"Image uploaded: {asset.width}×{asset.height} pixels. Paste its snippet into a template.", "success"
    )
    return redirect_to(url_for("signature_templates.images_index"))


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> Response:
    """A body over the app's request limit: the upload form again with a specific message (413)."""
    db.session.rollback()
    if request.endpoint != "signature_templates.upload_image":
        return render_error(413, "The request is too large for Signet to accept. Nothing was changed.")
    return _images_page(error=TOO_LARGE, status=413)


@bp.get("/images/<name>")
@public
def image(name: str) -> Response:
    """An uploaded image, public (mail clients fetch it without signing in) and cached forever."""
    match = images.IMAGE_NAME.fullmatch(name)
    asset = store.get_image(session=db.session, digest=match.group(1)) if match else None
    if asset is None or match is None or asset.extension != match.group(2):
        abort(404)
    response = Response(asset.data, mimetype=asset.content_type)
    response.headers["Cache-Control"] = IMMUTABLE
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.set_etag(asset.digest)
    response.make_conditional(request)  # 304 for a matching If-None-Match
    return response
