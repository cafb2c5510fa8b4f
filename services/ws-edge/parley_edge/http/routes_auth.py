"""`/api/auth/*` and `/api/users/*`: register, log in, log out, who am I, and who is who
(a username to a user, user ids to users) for signed-in users."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from parley_contracts import auth, subjects
from parley_contracts.http import LoginBody, Ok

from .cookies import COOKIE_NAME, sign
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
    # No peer address over a Unix socket, or when the peer left before uvicorn read it.
    address = request.client.host if request.client is not None else None
    command = auth.LogIn(username=username, password=password, client_address=address)
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
    sessions = request.app.state.edge.sessions
    token = sessions.token_of(request.cookies.get(COOKIE_NAME))
    if token is not None:
        await request.app.state.bus.request(subjects.AUTH_LOGOUT, auth.LogOut(session_token=token))
        sessions.forget_token(token)
    response.delete_cookie(COOKIE_NAME, path="/")
    return Ok()


@router.get("/api/users/me", response_model_exclude_none=True)
async def me(session: Annotated[auth.SessionValid, Depends(current_session)]) -> auth.User:
    return session.user


@router.get("/api/users/by-username/{username}", response_model_exclude_none=True)
async def user_by_username(
    username: Annotated[str, Path(min_length=1, max_length=64)],
    _session: Annotated[auth.SessionValid, Depends(current_session)],
    request: Request,
) -> auth.User:
    return await request.app.state.bus.request(subjects.AUTH_FIND_USER, auth.FindUser(username=username))


@router.get("/api/users", response_model_exclude_none=True)
async def users_by_ids(
    ids: Annotated[str, Query(pattern=r"^[1-9][0-9]{0,15}(,[1-9][0-9]{0,15}){0,99}$")],
    _session: Annotated[auth.SessionValid, Depends(current_session)],
    request: Request,
) -> list[auth.User]:
    """`?ids=3,14,15`: up to 100 ids; unknown ones are left out."""
    command = auth.GetUsers(ids=[int(user_id) for user_id in ids.split(",")])
    return (await request.app.state.bus.request(subjects.AUTH_GET_USERS, command)).users
