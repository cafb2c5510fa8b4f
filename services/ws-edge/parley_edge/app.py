"""The edge's ASGI app: HTTP routes, socket paths, health and metrics, and the edge's
live state for its lifetime. `/metrics` is on the public port unless `HEALTH_PORT` gives
it (and `/healthz`, `/readyz`) a private one."""

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from parley_contracts import auth, subjects
from parley_contracts.errors import ErrorCode
from parley_runtime.bus import Bus
from parley_runtime.errors import ParleyError
from parley_runtime.health import HealthServer, ReadinessCheck, run_checks

from .http import errors as http_errors
from .http import routes_auth, routes_chat, routes_message_changes, routes_messagepal, routes_threads, routes_unread
from .http.origins import CrossSiteGuard
from .http.request_limits import RequestLimits
from .http.web_app import WebApp
from .settings import EdgeSettings
from .sockets.chat import ChatDialect
from .sockets.dialect import serve_socket
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

    app = FastAPI(title="Parley", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    http_errors.install(app)
    app.add_middleware(CrossSiteGuard, settings=settings)
    app.add_middleware(
        RequestLimits, max_header_bytes=settings.max_header_bytes, max_body_bytes=settings.max_body_bytes
    )
    app.include_router(routes_auth.router)
    app.include_router(routes_chat.router)
    app.include_router(routes_messagepal.router)
    app.include_router(routes_message_changes.router)
    app.include_router(routes_threads.router)
    app.include_router(routes_unread.router)

    @app.websocket("/ws/chat")
    async def chat_socket(websocket: WebSocket) -> None:
        await serve_socket(websocket, "/ws/chat", ChatDialect)

    @app.websocket("/messagepal")
    async def messagepal_socket(websocket: WebSocket) -> None:
        await serve_socket(websocket, "/messagepal", MessagePalDialect)

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
