"""Letting a socket in: the Origin allowlist (browsers do not apply CORS to WebSockets),
then the session cookie. A socket from a bad origin is refused before the upgrade; one
without a valid session is accepted and closed with 4001, as the seed
(the chat of PersonalLearningPro, which Parley stays compatible with) does. A client
that offers the `parley.lines` subprotocol has it accepted (`parley_contracts.framing`)."""

from starlette.websockets import WebSocket

from parley_contracts import auth
from parley_contracts.framing import LINES_SUBPROTOCOL
from parley_runtime.errors import ParleyError

from ..http.origins import origin_allowed
from ..http.sessions import current_session
from ..settings import EdgeSettings
from .connection import CLOSE_POLICY, CLOSE_UNAUTHORIZED


async def admit(websocket: WebSocket, settings: EdgeSettings) -> auth.SessionValid | None:
    if not origin_allowed(websocket.headers.get("origin"), settings):
        await websocket.close(CLOSE_POLICY)
        return None
    await websocket.accept(subprotocol=LINES_SUBPROTOCOL if reads_lines(websocket) else None)
    try:
        return await current_session(websocket)
    except ParleyError:
        await websocket.close(CLOSE_UNAUTHORIZED, "unauthorized")
        return None


def reads_lines(websocket: WebSocket) -> bool:
    """Did the client offer to read several frames per message?"""
    return LINES_SUBPROTOCOL in websocket.scope.get("subprotocols", ())
