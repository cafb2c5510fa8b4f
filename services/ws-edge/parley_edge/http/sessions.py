"""Who is calling: the `connect.sid` cookie checked with the auth service."""

from fastapi import Request

from parley_contracts import auth, subjects
from parley_contracts.errors import ErrorCode
from parley_runtime.bus import Bus
from parley_runtime.errors import ParleyError

from .cookies import COOKIE_NAME, unsign


async def validate_cookie(bus: Bus, cookie: str | None, secret: str) -> auth.SessionValid:
    """The session behind a cookie, or ParleyError(unauthorized) for a missing, tampered or dead one."""
    token = unsign(cookie, secret)
    if token is None or not 16 <= len(token) <= 256:
        raise ParleyError(ErrorCode.UNAUTHORIZED, "not logged in")
    return await bus.request(subjects.AUTH_VALIDATE_SESSION, auth.ValidateSession(session_token=token))


async def current_session(request: Request) -> auth.SessionValid:
    """FastAPI dependency for routes that need a logged-in user."""
    state = request.app.state
    return await validate_cookie(state.bus, request.cookies.get(COOKIE_NAME), state.settings.session_secret)
