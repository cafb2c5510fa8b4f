"""`POST /api/messages`, by far the most frequent request, served as plain ASGI ahead of
FastAPI's router (innermost of the app's middleware, so behind the request limits and the
cross-site guard like every route).

Through FastAPI a post cost the edge about twice the CPU it costs here: the router's
matching, the dependency solving, the body validated as a dictionary, the returned message
validated again and encoded through a dictionary, and the exception-handling layers around
each. Here the body is validated once, the session is the same check, the post the same
command (`routes_chat.post`), and the reply's bytes come straight from the message's own
serializer.

Only a well-formed post is served here: a JSON body (`Content-Type: application/json`)
that validates as `PostMessageBody`, parsed and validated as FastAPI does (JSON, then the
model in Python mode). Any other request to the path goes on to FastAPI's route with its
body, which answers it as it always has: its refusals come in its own order (undecodable
JSON, then the session, then the fields), with its messages.
"""

from pydantic_core import from_json
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parley_contracts.http import PostMessageBody
from parley_runtime.bus import encode

from .errors import REFUSALS, refusal_response
from .routes_chat import post
from .sessions import current_session

PATH = "/api/messages"
JSON = b"application/json"


class PostRoute:
    """ASGI middleware: answers well-formed posts itself; passes every other request on."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST" or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        try:
            body = await _read_body(receive)
        except HTTPException as exc:  # the request limits' 413, raised from `receive`
            await refusal_response(exc)(scope, receive, send)
            return
        if body is None:  # the client went away
            return
        try:
            draft = PostMessageBody.model_validate(from_json(body))
        except ValueError:  # not JSON, or not a post (pydantic's ValidationError is a ValueError)
            await self.app(scope, _replayed(body, receive), send)
            return
        connection = HTTPConnection(scope)
        try:
            message = await post(connection, await current_session(connection), draft)
        except REFUSALS as exc:
            await refusal_response(exc)(scope, receive, send)
            return
        reply = encode(message)  # what FastAPI's route answers: the message without its empty fields
        headers = [(b"content-length", str(len(reply)).encode()), (b"content-type", JSON)]
        await send({"type": "http.response.start", "status": 201, "headers": headers})
        await send({"type": "http.response.body", "body": reply})


def _is_json(scope: Scope) -> bool:
    """Whether the request's first `Content-Type` (the one FastAPI reads) is JSON's."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            return value.split(b";", 1)[0].strip().lower() == JSON
    return False


async def _read_body(receive: Receive) -> bytes | None:
    """The whole body, or None if the client disconnected first."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replayed(body: bytes, receive: Receive) -> Receive:
    """`receive` for the app the request is passed on to: the body already read, then
    whatever comes after it (a disconnect)."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay
