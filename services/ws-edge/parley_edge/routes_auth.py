"""`/api/auth/*` and `/api/users/me`: register, log in, log out, who am I."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from parley_contracts import auth, subjects
from parley_contracts.http import LoginBody, Ok

from .cookies import COOKIE_NAME, sign, unsign
from .sessions import current_session

router = APIRouter()


def _set_session_cookie(request: Request, response: Response, logged_in: auth.LoggedIn) -> None:
    settings = request.app.state.settings
    response.set_cookie(
        COOKIE_NAME,
        sign(logged_in.session_token, settings.session_secret),
        max_age=settings.cookie_max_age_s,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",  # TLS here, or at a trusted proxy (X-Forwarded-Proto)
        path="/",
    )


async def _log_in(request: Request, response: Response, username: str, password: str) -> auth.User:
    command = auth.LogIn(username=username, password=password, client_address=request.client.host)
    logged_in = await request.app.state.bus.request(subjects.AUTH_LOGIN, command)
    _set_session_cookie(request, response, logged_in)
    return logged_in.user


@router.post("/api/auth/register", status_code=201, response_model_exclude_none=True)
async def register(body: auth.RegisterUser, request: Request, response: Response) -> auth.User:
    await request.app.state.bus.request(subjects.AUTH_REGISTER, body)
    return await _log_in(request, response, body.username, body.password)


@router.post("/api/auth/login", response_model_exclude_none=True)
async def log_in(body: LoginBody, request: Request, response: Response) -> auth.User:
    return await _log_in(request, response, body.username, body.password)


@router.post("/api/auth/logout")
async def log_out(request: Request, response: Response) -> Ok:
    token = unsign(request.cookies.get(COOKIE_NAME), request.app.state.settings.session_secret)
    if token is not None and 16 <= len(token) <= 256:
        await request.app.state.bus.request(subjects.AUTH_LOGOUT, auth.LogOut(session_token=token))
    response.delete_cookie(COOKIE_NAME, path="/")
    return Ok()


@router.get("/api/users/me", response_model_exclude_none=True)
async def me(session: Annotated[auth.SessionValid, Depends(current_session)]) -> auth.User:
    return session.user
