"""The private page a teammate's link opens: their current signature, a one-click copy, install steps.

Public (no sign-in): the unguessable token in the path is the credential. Its page is served with
`Referrer-Policy: no-referrer` (the address never leaves in a Referer), `Cache-Control: no-store`
and `X-Robots-Tag: noindex`, and the token is redacted from every log (`redaction.py`, PITFALLS 7.3).
A revoked, regenerated-away or guessed token, or an inactive teammate's, gets one and the same 404.
The page sets no cookie: it has no form, so it renders without a CSRF token or a session.
"""

from __future__ import annotations

from flask import Blueprint, Response, make_response, render_template

from webapp.delivery import links
from webapp.delivery.web import NO_STORE, teammate_name
from webapp.extensions import db
from webapp.security import CONTENT_SECURITY_POLICY, public
from webapp.signatures.store import signature_for_teammate

bp = Blueprint("delivery_private", __name__, url_prefix="/s")

# The app's policy, plus what a signature needs to look as it will in a mail: its images (hosted
# anywhere over https) and its inline `style` attributes. Scripts stay 'self' only.
PRIVATE_PAGE_POLICY = CONTENT_SECURITY_POLICY.replace(
    "img-src 'self' data:", "img-src 'self' https: data:"
).replace("style-src 'self'", "style-src 'self'; style-src-attr 'unsafe-inline'")
PRIVATE_PAGE_HEADERS = {
    "Cache-Control": NO_STORE,
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "Content-Security-Policy": PRIVATE_PAGE_POLICY,
}


def _private_response(body: str, status: int) -> Response:
    response = make_response(body, status)
    response.headers.update(PRIVATE_PAGE_HEADERS)
    return response


def not_found() -> Response:
    """The one answer for every token that opens nothing: it names no teammate and no reason."""
    return _private_response(render_template("delivery/private_not_found.html"), 404)


@bp.get("/<token>")
@public
def page(token: str) -> Response:
    """A teammate's private signature page (404 for any token that isn't a live link)."""
    teammate = links.find_teammate_by_token(session=db.session, token=token)
    if teammate is None or teammate.id is None:
        return not_found()
    signature = signature_for_teammate(session=db.session, teammate_id=teammate.id)
    body = render_template("delivery/private_page.html", name=teammate_name(teammate), signature=signature)
    return _private_response(body, 200)
