"""The edge's ASGI app: HTTP routes, socket paths, health and metrics, and the edge's
live state for its lifetime. `/metrics` is on the public port unless `HEALTH_PORT` gives
it (and `/healthz`, `/readyz`) a private one.

The socket paths do not go through FastAPI (`SocketPaths`): a socket lives for hours,
and under a FastAPI route each one kept the suspended calls, exit stacks and request
objects of every middleware and of the router, about 11 KiB of an idle socket's 37.
Neither middleware acts on sockets (a socket's Origin is checked by its admission).
"""

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.telemetry import TelemetryConfig
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from parley_contracts import auth, subjects
from parley_contracts.errors import ErrorCode
from parley_runtime.bus import Bus
from parley_runtime.errors import ParleyError
from parley_runtime.health import HealthServer, ReadinessCheck, run_checks

from .http import errors as http_errors
from .http import routes_auth, routes_chat, routes_message_changes, routes_messagepal, routes_threads, routes_unread
from .http.origins import CrossSiteGuard
from .http.post_route import PostRoute
from .http.request_limits import RequestLimits
from .http.web_app import WebApp
from .settings import EdgeSettings
from .sockets.chat import ChatDialect
from .sockets.dialect import SocketDialect, serve_socket
from .sockets.messagepal import MessagePalDialect
from .state import EdgeState


def create_app(settings: EdgeSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.edge = await EdgeState.start(settings)
        app.state.bus = app.state.edge.bus
        bus = app.state.bus
        # With a health port, /metrics moves there (beside the probes), off the public port.
        private = HealthServer(_checks(bus), "edge")
        if settings.health_port:
            await private.start(settings.health_host, settings.health_port)
        yield
        await private.stop()
        await app.state.edge.stop()

    # FastAPI's own OpenTelemetry spans and metrics off: the edge configures no provider, so
    # they only cost every request a look at the environment for one.
    off = TelemetryConfig(tracing=False, metrics=False, logs=False)
    app = FastAPI(title="Parley", lifespan=lifespan, docs_url=None, redoc_url=None, telemetry=off)
    app.state.settings = settings
    http_errors.install(app)
    app.add_middleware(PostRoute)  # first, so innermost: behind the request limits and the guard
    app.add_middleware(CrossSiteGuard, settings=settings)
    app.add_middleware(
        RequestLimits, max_header_bytes=settings.max_header_bytes, max_body_bytes=settings.max_body_bytes
    )
    # Chat's router first, the most used: its paths are no other router's, so the order
    # does not change which route answers.
    app.include_router(routes_chat.router)
    app.include_router(routes_auth.router)
    app.include_router(routes_messagepal.router)
    app.include_router(routes_message_changes.router)
    app.include_router(routes_threads.router)
    app.include_router(routes_unread.router)

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        bus: Bus = request.app.state.bus
        results = await run_checks(_checks(bus))
        ready = all(results.values())
        body = {"service": "edge", "ready": ready, "checks": results}
        return JSONResponse(body, status_code=200 if ready else 503)

    if not settings.health_port:

        @app.get("/metrics")
        async def metrics() -> Response:
            return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    app.router.default = WebApp(settings.web_dir, app.router.default)
    return app


SOCKET_PATHS: dict[str, type[SocketDialect]] = {"/ws/chat": ChatDialect, "/messagepal": MessagePalDialect}


class SocketPaths:
    """ASGI: a socket on one of `SOCKET_PATHS` straight to its handler, everything else
    (HTTP, the lifespan, a socket elsewhere) to the FastAPI app."""

    def __init__(self, app: FastAPI):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        dialect = SOCKET_PATHS.get(scope["path"]) if scope["type"] == "websocket" else None
        if dialect is None:
            await self.app(scope, receive, send)
            return
        scope["app"] = self.app  # what `WebSocket.app` reads, as under FastAPI
        await serve_socket(WebSocket(scope, receive, send), scope["path"], dialect)


def _checks(bus: Bus) -> dict[str, ReadinessCheck]:
    return {"nats": lambda: _connected(bus), "auth": lambda: _auth_answers(bus)}


async def _connected(bus: Bus) -> bool:
    return bus.nc.is_connected


async def _auth_answers(bus: Bus) -> bool:
    """Any answer from auth, a refusal included, proves it is there."""
    try:
        await bus.request(subjects.AUTH_VALIDATE_SESSION, auth.ValidateSession(session_token="0" * 32), 1.0)
    except ParleyError as exc:
        return exc.code is not ErrorCode.UNAVAILABLE
    return True
