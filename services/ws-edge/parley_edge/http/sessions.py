"""Who is calling: the `connect.sid` cookie checked with the auth service, and the answer
kept for `session_cache_s`, so that a busy client's requests and sockets do not each cost
a round trip to auth (at a steady rate of posts that round trip was most of what a post
waited for, and a share of what it cost).

A kept session is dropped as soon as it ends: logged out through this edge (`forget_token`)
or anywhere else (auth's `SessionEnded`, `forget`). One that only expires (idle or absolute
limit) is served at most `session_cache_s` longer. Refusals are never kept: a refused
cookie is asked about again each time.
"""

import time
from collections.abc import Callable

from starlette.requests import HTTPConnection

from parley_contracts import auth, subjects
from parley_contracts.errors import ErrorCode
from parley_runtime.bus import Bus
from parley_runtime.errors import ParleyError

from .cookies import COOKIE_NAME, unsign

MAX_KEPT = 10_000
"""Sessions kept at once; past it the expired go first, then the oldest."""


class Sessions:
    def __init__(self, bus: Bus, secret: str, keep_s: float):
        self.bus = bus
        self.secret = secret
        self.keep_s = keep_s
        self._kept: dict[str, tuple[float, str, auth.SessionValid]] = {}
        """By cookie, as the client sends it (kept only once its signature checked out, so a
        kept cookie's signature is not checked again): until when the session is believed,
        its token, and the session."""
        self._endings = 0
        """Sessions ended so far: an answer asked for before one ended may be about that
        session, and is not kept."""

    async def of_cookie(self, cookie: str | None) -> auth.SessionValid:
        """The session behind a cookie, or ParleyError(unauthorized) for a missing, tampered or dead one."""
        now = time.monotonic()
        kept = self._kept.get(cookie) if cookie else None
        if kept is not None and kept[0] > now:
            return kept[2]
        token = self.token_of(cookie)
        if cookie is None or token is None:
            raise ParleyError(ErrorCode.UNAUTHORIZED, "not logged in")
        endings = self._endings
        session = await self.bus.request(subjects.AUTH_VALIDATE_SESSION, auth.ValidateSession(session_token=token))
        if self.keep_s > 0 and endings == self._endings:
            self._keep(cookie, (now + self.keep_s, token, session))
        return session

    def token_of(self, cookie: str | None) -> str | None:
        """The session token a cookie carries, if it is signed by this edge and of a token's length."""
        token = unsign(cookie, self.secret)
        return token if token is not None and 16 <= len(token) <= 256 else None

    def _keep(self, cookie: str, kept: tuple[float, str, auth.SessionValid]) -> None:
        if cookie not in self._kept and len(self._kept) >= MAX_KEPT:
            now = time.monotonic()
            self._kept = {c: k for c, k in self._kept.items() if k[0] > now}
            if len(self._kept) >= MAX_KEPT:
                del self._kept[next(iter(self._kept))]
        self._kept[cookie] = kept

    def forget(self, session_key: str) -> None:
        """A session ended (auth's `SessionEnded` names it by its key)."""
        self._forget_where(lambda _token, session: session.session_key == session_key)

    def forget_token(self, token: str) -> None:
        """A session this edge logged out."""
        self._forget_where(lambda kept_token, _session: kept_token == token)

    def _forget_where(self, ended: Callable[[str, auth.SessionValid], bool]) -> None:
        self._endings += 1
        for cookie in [c for c, (_, token, session) in self._kept.items() if ended(token, session)]:
            del self._kept[cookie]


async def current_session(connection: HTTPConnection) -> auth.SessionValid:
    """The caller's session: the FastAPI dependency of routes that need a logged-in user,
    and the post route's check (`post_route`)."""
    return await connection.app.state.edge.sessions.of_cookie(connection.cookies.get(COOKIE_NAME))
