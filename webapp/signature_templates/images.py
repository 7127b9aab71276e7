"""Uploaded signature images: checked, re-encoded and served at a stable, content-addressed URL.

Mail clients fetch signature images from the internet, so an image must be public, immutable and
small. An upload is refused unless Pillow can fully decode it as PNG, JPEG or GIF within the size
and pixel limits (a decompression bomb is refused from its header, before any pixel is decoded).
The pixels are then re-encoded into a fresh file of the same format: EXIF (GPS positions, camera
serials), comments, colour profiles and anything appended after the image (a ZIP, HTML or script
"polyglot") are dropped, because only the decoded pixels are written back. The URL is the SHA-256
of those re-encoded bytes, so it never changes and can be cached forever.

Animated GIFs keep their first frame only: Outlook for Windows shows only the first frame anyway,
and a still image is what a signature should be.
"""

from __future__ import annotations

import hashlib
import html
import io
import ipaddress
import re
import warnings
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app, url_for
from PIL import Image, ImageOps, UnidentifiedImageError

from webapp.signature_templates.models import ImageAsset

MAX_IMAGE_BYTES = 1024 * 1024  # 1 MB: signature images should be a few KB
MAX_IMAGE_SIDE = 4000
MAX_IMAGE_PIXELS = MAX_IMAGE_SIDE * MAX_IMAGE_SIDE
MAX_FILENAME_LENGTH = 200
# Pillow format name -> (content type, extension). Nothing else is accepted (no SVG: it can carry script).
FORMATS = {"PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg"), "GIF": ("image/gif", "gif")}
CONTENT_TYPES = {extension: content_type for content_type, extension in FORMATS.values()}
JPEG_QUALITY = 90
# Modes Pillow writes as PNG as they are; others are converted to RGBA first.
PNG_MODES = frozenset({"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"})
IMAGE_NAME = re.compile(r"([0-9a-f]{64})\.(png|jpg|gif)")
NOT_AN_IMAGE = "The file is not an image Signet can read. Choose a PNG, JPEG or GIF image."
TOO_MANY_PIXELS = (
    f"The image has far too many pixels; at most {MAX_IMAGE_SIDE}×{MAX_IMAGE_SIDE} are accepted."
)
CORRUPT = "The image is corrupt or truncated. Export it again and upload the new file."
_FILENAME_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")


class ImageRefused(ValueError):
    """The upload is not an image Signet serves; `message` says why, for the admin."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CleanImage:
    """An image re-encoded from its pixels only."""

    data: bytes
    digest: str
    content_type: str
    extension: str
    width: int
    height: int


def clean_image(raw: bytes) -> CleanImage:
    """Check `raw` (an uploaded file) and re-encode it; raise `ImageRefused` with a specific reason."""
    if not raw:
        raise ImageRefused("The file is empty. Choose a PNG, JPEG or GIF image.")
    if len(raw) > MAX_IMAGE_BYTES:
        raise ImageRefused(
            f"The file is too large ({len(raw) / 1024 / 1024:.1f} MB); images can be at most 1 MB. "
            "Signature images are usually a few KB: export it smaller."
        )
    image_format = _verified_format(raw)
    pixels = _decoded_pixels(raw)
    data = _encode(pixels, image_format)
    content_type, extension = FORMATS[image_format]
    return CleanImage(
        data=data,
        digest=hashlib.sha256(data).hexdigest(),
        content_type=content_type,
        extension=extension,
        width=pixels.width,
        height=pixels.height,
    )


def _open(raw: bytes) -> Image.Image:
    try:
        # Pillow warns above MAX_IMAGE_PIXELS and raises at twice that; make any such image an error.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(raw))
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise ImageRefused(TOO_MANY_PIXELS) from error
    except UnidentifiedImageError as error:
        raise ImageRefused(NOT_AN_IMAGE) from error
    except Exception as error:  # noqa: BLE001 - e.g. ValueError from a PNG chunk over Pillow's limits
        # Pillow reads a PNG's chunks before the first pixel data while opening; a compressed
        # zTXt/iTXt/iCCP chunk that inflates past PngImagePlugin.MAX_TEXT_CHUNK, or a bad IHDR,
        # raises ValueError here (not UnidentifiedImageError): a broken file like any other.
        raise ImageRefused(CORRUPT) from error


def _verified_format(raw: bytes) -> str:
    """The Pillow format, after the header's size check and Pillow's integrity check (`verify`)."""
    image = _open(raw)
    if image.format not in FORMATS:
        raise ImageRefused(
            f"{image.format or 'This'} images are not supported. Choose a PNG, JPEG or GIF image."
        )
    width, height = image.size
    if width > MAX_IMAGE_SIDE or height > MAX_IMAGE_SIDE or width * height > MAX_IMAGE_PIXELS:
        raise ImageRefused(
            f"The image is {width}×{height} pixels; at most {MAX_IMAGE_SIDE}×{MAX_IMAGE_SIDE} are accepted."
        )
    try:
        image.verify()
    except Exception as error:  # noqa: BLE001 - Pillow raises many types for broken files
        raise ImageRefused(CORRUPT) from error
    return str(image.format)


def _decoded_pixels(raw: bytes) -> Image.Image:
    """The first frame, fully decoded, upright (EXIF orientation applied before EXIF is dropped)."""
    image = _open(raw)  # verify() leaves the image unusable: open it again
    try:
        image.seek(0)
        image.load()
        upright = ImageOps.exif_transpose(image) if image.format == "JPEG" else image
    except Exception as error:  # noqa: BLE001 - truncated data, bad chunks, decoder errors
        raise ImageRefused(CORRUPT) from error
    return upright


def _encode(image: Image.Image, image_format: str) -> bytes:
    """A fresh file holding only `image`'s pixels (and palette/transparency): no metadata at all."""
    transparency = image.info.get("transparency")
    if image_format == "JPEG" and image.mode not in {"RGB", "L"}:
        image = image.convert("RGB")
    elif image_format == "PNG" and (
        image.mode not in PNG_MODES or (image.mode == "P" and isinstance(transparency, bytes))
    ):
        image, transparency = image.convert("RGBA"), None  # per-entry palette alpha: keep it as RGBA
    mode = image.mode
    fresh = Image.frombytes(mode, image.size, image.tobytes())
    options: dict[str, object] = {}
    if mode == "P":
        palette = image.getpalette()
        if palette is not None:
            fresh.putpalette(palette)
    if image_format in {"PNG", "GIF"} and transparency is not None and not isinstance(transparency, bytes):
        options["transparency"] = transparency
    if image_format == "JPEG":
        options["quality"] = JPEG_QUALITY
    output = io.BytesIO()
    fresh.save(output, format=image_format, **options)
    return output.getvalue()


def clean_filename(filename: str | None) -> str:
    """The uploaded file's name, for the admin's list only: no path, no control characters, bounded."""
    name = _FILENAME_UNSAFE.sub("", (filename or "").replace("\\", "/").rsplit("/", 1)[-1]).strip()
    return name[:MAX_FILENAME_LENGTH]


def image_path(asset: ImageAsset) -> str:
    """The image's path on this site (content-addressed)."""
    return url_for("signature_templates.image", name=f"{asset.digest}.{asset.extension}")


def image_url(asset: ImageAsset) -> str:
    """The image's absolute, content-addressed URL under BASE_URL: what templates reference."""
    base: str = current_app.config["BASE_URL"].rstrip("/")
    return base + image_path(asset)


def img_snippet(asset: ImageAsset) -> str:
    """An `<img>` tag to paste into a template: absolute URL, width, height and alt (PITFALLS 6.7)."""
    alt = asset.filename.rsplit(".", 1)[0] if asset.filename else "Logo"
    return (
        f'<img src="{html.escape(image_url(asset))}" width="{asset.width}" height="{asset.height}" '
        f'alt="{html.escape(alt)}" style="display:block;border:0">'
    )


def base_url_problem(base_url: str) -> str | None:
    """Why mail clients could not fetch images from `base_url`, or None when it is a public https URL."""
    parts = urlsplit(base_url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https":
        return "it is not https: many mail clients block or warn about images served over plain http"
    if not host or host == "localhost" or host.endswith((".localhost", ".local", ".internal", ".lan")):
        return f"{host or 'its host'} is not reachable from the internet"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None if "." in host else f"{host} is not a public domain name"
    if not address.is_global:
        return f"{host} is a private or local address, not reachable from the internet"
    return None
