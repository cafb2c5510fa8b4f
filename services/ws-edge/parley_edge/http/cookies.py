"""The signed `connect.sid` cookie, in express-session's format: `s:<token>.<signature>`.

The signature is HMAC-SHA256 of the token under the session secret, URL-safe base64 without
padding, so a cookie cannot be forged or altered without the secret.
"""

import base64
import hashlib
import hmac

COOKIE_NAME = "connect.sid"


def _signature(token: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign(token: str, secret: str) -> str:
    return f"s:{token}.{_signature(token, secret)}"


def unsign(cookie: str | None, secret: str) -> str | None:
    """The token inside a validly signed cookie, or None."""
    if not cookie or not cookie.startswith("s:") or "." not in cookie:
        return None
    token, _, signature = cookie[2:].rpartition(".")
    if not token or not hmac.compare_digest(signature, _signature(token, secret)):
        return None
    return token
