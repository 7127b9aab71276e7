"""Image uploads: PNG, JPEG and GIF accepted and re-encoded (metadata and appended payloads gone),
everything else refused with a specific message; served publicly at a stable content-addressed URL."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from tests.conftest import AuthActions, make_test_app
from tests.helpers import page_text, visible_text
from webapp.extensions import db
from webapp.signature_templates import store
from webapp.signature_templates.images import base_url_problem, clean_filename, clean_image


def image_bytes(fmt: str, size: tuple[int, int] = (60, 20), mode: str = "RGB", **options: Any) -> bytes:
    """A small image made with Pillow."""
    output = io.BytesIO()
    Image.new(mode, size, "#1a56db" if mode == "RGB" else 1).save(output, format=fmt, **options)
    return output.getvalue()


def upload(client: FlaskClient, data: bytes, filename: str = "logo.png") -> Any:
    """Post a file to the upload form."""
    return client.post(
        "/signatures/images", data={"image": (io.BytesIO(data), filename)}, content_type="multipart/form-data"
    )


def stored(app: Flask) -> list[tuple[str, str, bytes]]:
    with app.app_context(), db.session_scope(writer=False) as session:
        return [
            (asset.digest, asset.extension, store.get_image(session=session, digest=asset.digest).data)  # type: ignore[union-attr]
            for asset in store.list_images(session=session)
        ]


@pytest.mark.parametrize(
    ("fmt", "extension", "content_type"),
    [("PNG", "png", "image/png"), ("JPEG", "jpg", "image/jpeg"), ("GIF", "gif", "image/gif")],
)
def test_valid_images_are_served_publicly_with_long_cache_headers(
    app: Flask, client: FlaskClient, signed_in: AuthActions, fmt: str, extension: str, content_type: str
) -> None:
    """Upload, then fetch without signing in: right type, immutable caching, nosniff, ETag, 304."""
    response = upload(client, image_bytes(fmt), f"logo.{extension}")
    assert response.status_code == 303
    [(digest, ext, data)] = stored(app)
    assert ext == extension and hashlib.sha256(data).hexdigest() == digest
    anonymous = app.test_client()
    served = anonymous.get(f"/signatures/images/{digest}.{extension}")
    assert served.status_code == 200
    assert served.data == data
    assert served.headers["Content-Type"] == content_type
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["ETag"] == f'"{digest}"'
    again = anonymous.get(
        f"/signatures/images/{digest}.{extension}", headers={"If-None-Match": f'"{digest}"'}
    )
    assert again.status_code == 304
    with Image.open(io.BytesIO(served.data)) as image:
        assert image.format == fmt and image.size == (60, 20)


def test_same_image_twice_keeps_one_url(app: Flask, client: FlaskClient, signed_in: AuthActions) -> None:
    """The URL is the digest of the re-encoded bytes: uploading the same file again changes nothing."""
    upload(client, image_bytes("PNG"))
    upload(client, image_bytes("PNG"), "copy.png")
    assert len(stored(app)) == 1


def test_images_page_lists_absolute_url_and_snippet(
    app: Flask, client: FlaskClient, signed_in: AuthActions
) -> None:
    """The list shows the absolute URL under BASE_URL and an <img> snippet with width, height, alt."""
    upload(client, image_bytes("PNG", (120, 40)), "acme-logo.png")
    [(digest, _, _)] = stored(app)
    body = page_text(client.get("/signatures/images"))
    url = f"http://127.0.0.1:8000/signatures/images/{digest}.png"
    assert f'value="{url}"' in body
    assert f'<img src="{url}" width="120" height="40" alt="acme-logo" style="display:block;border:0">' in body


@pytest.mark.parametrize(
    ("data", "filename", "says"),
    [
        (b"", "empty.png", "The file is empty"),
        (b"MZ\x90\x00 not an image at all", "logo.png", "not an image Signet can read"),
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            "logo.svg",
            "not an image",
        ),
        (image_bytes("BMP"), "logo.bmp", "BMP images are not supported"),
        (image_bytes("WEBP"), "logo.webp", "WEBP images are not supported"),
        (image_bytes("PNG", (200, 200))[:-40], "cut.png", "corrupt or truncated"),
        (image_bytes("PNG", (4001, 10)), "wide.png", "4001×10 pixels; at most 4000×4000"),
        (
            image_bytes("PNG", (1024 * 1024 // 3 + 10, 1), compress_level=0)[:0]
            + b"\x89PNG"
            + b"\0" * (1024 * 1024),
            "big.png",
            "too large",
        ),
    ],
    ids=["empty", "not an image", "svg", "bmp", "webp", "truncated", "too many pixels", "over 1 MB"],
)
def test_bad_uploads_are_refused_with_a_specific_message(
    app: Flask, client: FlaskClient, signed_in: AuthActions, data: bytes, filename: str, says: str
) -> None:
    """Each kind of bad file gets its own 422 message next to the field; nothing is stored."""
    response = upload(client, data, filename)
    assert response.status_code == 422
    assert says in visible_text(response)
    assert 'id="image-file-error"' in page_text(response)
    assert stored(app) == []


def png_with_chunk(chunk_type: bytes, data: bytes) -> bytes:
    """A valid small PNG with one extra ancillary chunk (correct length and CRC) before its pixel data."""
    png = image_bytes("PNG")
    chunk = struct.pack(">I", len(data)) + chunk_type + data
    chunk += struct.pack(">I", zlib.crc32(chunk_type + data) & 0xFFFFFFFF)
    header_end = 8 + 8 + 13 + 4  # signature, then IHDR (length, type, 13 data bytes, CRC)
    return png[:header_end] + chunk + png[header_end:]


# 8 MB of zeros compress to about 8 KB: well under the 1 MB upload limit, far over Pillow's
# 1 MB limit for a decompressed text or colour-profile chunk (PngImagePlugin.MAX_TEXT_CHUNK).
_BOMB = zlib.compress(b"\0" * (8 * 1024 * 1024), 9)


@pytest.mark.parametrize(
    "chunk",
    [
        (b"zTXt", b"Comment\0\0" + _BOMB),
        (b"iCCP", b"sRGB\0\0" + _BOMB),
        (b"iTXt", b"Comment\0\1\0\0\0" + _BOMB),
    ],
    ids=["zTXt", "iCCP", "iTXt"],
)
def test_png_with_an_oversized_compressed_chunk_is_refused_not_a_500(
    app: Flask, client: FlaskClient, signed_in: AuthActions, chunk: tuple[bytes, bytes]
) -> None:
    """A compressed metadata chunk that inflates past Pillow's limit is refused like any broken image."""
    hostile = png_with_chunk(*chunk)
    assert len(hostile) < 1024 * 1024
    response = upload(client, hostile)
    assert response.status_code == 422
    assert "The image is corrupt or truncated" in visible_text(response)
    assert 'id="image-file-error"' in page_text(response)
    assert stored(app) == []


def test_a_request_over_the_app_limit_says_the_file_is_too_large(
    app: Flask, client: FlaskClient, signed_in: AuthActions
) -> None:
    """A body over MAX_CONTENT_LENGTH (2 MB) gets the upload page with the size message (413)."""
    response = upload(client, b"\x89PNG" + b"\0" * (3 * 1024 * 1024))
    assert response.status_code == 413
    assert "The file is too large" in visible_text(response)


def test_decompression_bomb_is_refused_from_its_header() -> None:
    """A tiny file declaring 20000×20000 pixels is refused before decoding."""
    from webapp.signature_templates.images import ImageRefused

    with pytest.raises(ImageRefused, match="at most 4000×4000"):
        clean_image(image_bytes("PNG", (20000, 20000), mode="1"))


@pytest.mark.parametrize(
    "payload",
    [
        b"<html><script>alert(document.cookie)</script></html>",
        b"/*<script>*/alert(1)//",
    ],
    ids=["html", "js"],
)
def test_polyglot_payload_is_not_served(
    app: Flask, client: FlaskClient, signed_in: AuthActions, payload: bytes
) -> None:
    """A valid PNG with a ZIP and script appended: the served bytes are re-encoded pixels only."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("evil.html", payload)
    polyglot = image_bytes("PNG") + archive.getvalue() + payload
    assert upload(client, polyglot).status_code == 303
    [(digest, _, _)] = stored(app)
    served = app.test_client().get(f"/signatures/images/{digest}.png").data
    assert payload not in served and b"PK\x03\x04" not in served and b"evil.html" not in served
    assert served.endswith(b"IEND\xaeB`\x82")


def test_exif_and_comments_are_stripped() -> None:
    """A JPEG with EXIF (camera, GPS) and a GIF with a comment come back without them."""
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0)}  # GPS
    jpeg = image_bytes("JPEG", exif=exif.tobytes())
    assert b"SpyCam" in jpeg
    cleaned = clean_image(jpeg)
    assert b"SpyCam" not in cleaned.data and b"Exif" not in cleaned.data
    with Image.open(io.BytesIO(cleaned.data)) as image:
        assert not image.getexif()
    gif = image_bytes("GIF", comment=b"secret comment")
    assert b"secret comment" in gif and b"secret comment" not in clean_image(gif).data


def test_animated_gif_keeps_its_first_frame() -> None:
    """An animated GIF is served as its first frame (a still image, as Outlook shows it anyway)."""
    frames = [Image.new("P", (10, 10), color) for color in (1, 2, 3)]
    output = io.BytesIO()
    frames[0].save(output, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    cleaned = clean_image(output.getvalue())
    with Image.open(io.BytesIO(cleaned.data)) as image:
        assert getattr(image, "n_frames", 1) == 1


def test_transparency_survives_re_encoding() -> None:
    """An RGBA PNG keeps its alpha channel."""
    cleaned = clean_image(image_bytes("PNG", mode="RGBA"))
    with Image.open(io.BytesIO(cleaned.data)) as image:
        assert image.mode == "RGBA"


def test_unknown_or_malformed_image_urls_are_404(client: FlaskClient) -> None:
    """Unknown digests, wrong extensions and odd names are 404, without signing in."""
    for name in ("0" * 64 + ".png", "abc.png", "../../etc/passwd", "0" * 64 + ".svg"):
        assert client.get(f"/signatures/images/{name}").status_code == 404


def test_filename_is_cleaned() -> None:
    """Path parts and control characters are dropped from the name shown to admins."""
    assert clean_filename("C:\\Users\\me\\logo\x00.png") == "logo.png"
    assert clean_filename("../../x.png") == "x.png"
    assert clean_filename(None) == ""
    assert len(clean_filename("a" * 500)) == 200


@pytest.mark.parametrize(
    ("base_url", "public"),
    [
        ("https://signet.acme.example", True),
        ("https://203.0.113.7", False),  # documentation range: not global
        ("https://8.8.8.8", True),
        ("http://signet.acme.example", False),
        ("https://localhost:8000", False),
        ("https://127.0.0.1", False),
        ("https://10.0.0.5", False),
        ("https://signet.local", False),
        ("https://intranet", False),
    ],
)
def test_base_url_problem(base_url: str, public: bool) -> None:
    """Only a public https address is fine for images mail clients fetch."""
    assert (base_url_problem(base_url) is None) == public


def test_base_url_warning_on_images_and_editor_pages(
    app: Flask, client: FlaskClient, signed_in: AuthActions, tmp_path: Any
) -> None:
    """The default BASE_URL (http://127.0.0.1:8000) gets a warning on the images and editor pages."""
    from tests.signature_templates.conftest import make_template

    assert "Images may not show." in visible_text(client.get("/signatures/images"))
    template_id = make_template(app)
    assert 'id="base-url-warning"' in page_text(client.get(f"/signatures/{template_id}"))


def test_no_base_url_warning_for_a_public_https_address(tmp_path: Any) -> None:
    """With BASE_URL a public https address, the warning is gone."""
    from tests import factories

    app = make_test_app(
        f"sqlite:///{tmp_path / 'https.db'}", tmp_path / "instance", BASE_URL="https://signet.acme.example"
    )
    from tests.conftest import SignetTestClient

    app.test_client_class = SignetTestClient
    client = app.test_client()
    with app.app_context(), db.session_scope() as session:
        factories.gen_admin(session)
    client.post("/login", data={"email": factories.ADMIN_EMAIL, "password": factories.ADMIN_PASSWORD})
    response = client.get("/signatures/images")
    assert response.status_code == 200 and "Images may not show." not in visible_text(response)
    with app.app_context():
        db.dispose()
