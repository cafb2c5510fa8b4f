"""The edge's ASGI app: routes, error handling, health, and the NATS bus for its lifetime."""

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from parley_contracts import auth, subjects
from parley_contracts.errors import ErrorCode
from parley_runtime.bus import Bus
from parley_runtime.errors import ParleyError
from parley_runtime.health import run_checks

from . import http_errors, routes_auth, routes_chat
from .settings import EdgeSettings


def create_app(settings: EdgeSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.bus = await Bus.connect(settings.nats_url, "edge", settings.request_timeout_s)
        yield
        await app.state.bus.drain()

    app = FastAPI(title="Parley", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    http_errors.install(app)
    app.include_router(routes_auth.router)
    app.include_router(routes_chat.router)

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        bus: Bus = request.app.state.bus
        results = await run_checks({"nats": lambda: _connected(bus), "auth": lambda: _auth_answers(bus)})
        ready = all(results.values())
        return JSONResponse({"ready": ready, "checks": results}, status_code=200 if ready else 503)

    return app


async def _connected(bus: Bus) -> bool:
    return bus.nc.is_connected


async def _auth_answers(bus: Bus) -> bool:
    """Any answer from auth, a refusal included, proves it is there."""
    try:
        await bus.request(subjects.AUTH_VALIDATE_SESSION, auth.ValidateSession(session_token="0" * 32), 1.0)
    except ParleyError as exc:
        return exc.code is not ErrorCode.UNAVAILABLE
    return True
