"""The origin allowlist, and what it guards: sockets (browsers do not apply CORS to
WebSockets) and state-changing HTTP requests that carry the session cookie (a cross-site
form or fetch would otherwise act as the user).

A browser names the page a request comes from in `Origin`, or for some requests only in
`Referer`; a request with neither is not from a browser and is let through, as cookie
CSRF checks do. `Origin: null` (a sandboxed or privacy-stripped page) is no page we serve.
"""

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from parley_contracts.errors import ErrorCode
from parley_runtime.errors import ParleyError

from ..settings import EdgeSettings
from .cookies import COOKIE_NAME
from .errors import error_response

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def origin_allowed(origin: str | None, settings: EdgeSettings) -> bool:
    return origin is None or "*" in settings.origins or origin in settings.origins


def request_origin(headers: Headers) -> str | None:
    """The page a request comes from: its `Origin`, else the origin of its `Referer`."""
    origin = headers.get("origin")
    if origin is not None:
        return origin
    referer = headers.get("referer")
    if referer is None:
        return None
    parts = urlsplit(referer)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else "null"


class CrossSiteGuard:
    """ASGI middleware: a cookie-carrying POST, PUT, PATCH or DELETE from a page outside
    the allowlist gets 403 before any route sees it."""

    def __init__(self, app: ASGIApp, settings: EdgeSettings):
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in STATE_CHANGING:
            request = HTTPConnection(scope)
            # The origin first: it is allowed on almost every request, and cheaper to read than the cookies.
            if not origin_allowed(request_origin(request.headers), self.settings) and COOKIE_NAME in request.cookies:
                refusal = ParleyError(ErrorCode.FORBIDDEN, "cross-site request refused: its origin is not allowed")
                await error_response(refusal)(scope, receive, send)
                return
        await self.app(scope, receive, send)
