"""The chat web app's static build (web/app/dist), served at `/` for whatever no route
took: a GET or HEAD outside `/api` finds its file there, everything else still gets the
edge's JSON 404. The pages carry a strict Content-Security-Policy: scripts, styles and
connections only from the edge itself."""

from pathlib import Path

from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_PREFIX = "/api"
PAGE_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


class WebApp:
    """The router's default handler: the build's files, or `fallback` (the JSON 404)."""

    def __init__(self, directory: str, fallback: ASGIApp):
        # check_dir=False: an edge without a build still starts, and answers 404 until one exists.
        self.directory = Path(directory)
        self.files = StaticFiles(directory=directory, html=True, check_dir=False)
        self.fallback = fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        page = scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and not _is_api(scope["path"])
        if not page or not self.directory.is_dir():
            await self.fallback(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                message["headers"] = [*message.get("headers", []), *PAGE_HEADERS]
            await send(message)

        await self.files(scope, receive, with_headers)


def _is_api(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")
