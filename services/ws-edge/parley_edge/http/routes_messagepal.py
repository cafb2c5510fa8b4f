"""`/api/messagepal/*`: a user's inbox and a conversation's history over HTTP."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from parley_contracts import auth, dm, subjects
from parley_contracts.base import JS_SAFE_MAX
from parley_contracts.http import Ok, OpenDirectBody

from .sessions import current_session

router = APIRouter()
Session = Annotated[auth.SessionValid, Depends(current_session)]


@router.get("/api/messagepal/conversations", response_model_exclude_none=True)
async def inbox(session: Session, request: Request) -> list[dm.InboxEntry]:
    found = await request.app.state.bus.request(subjects.DM_INBOX, dm.GetInbox(actor_id=session.user.id))
    return found.conversations


@router.get("/api/messagepal/conversations/{conversation_id}/messages", response_model_exclude_none=True)
async def history(
    conversation_id: Annotated[str, Path(pattern=r"^conv_[1-9][0-9]{0,15}_[1-9][0-9]{0,15}$")],
    session: Session,
    request: Request,
    before: Annotated[int | None, Query(ge=1, le=JS_SAFE_MAX)] = None,
    after: Annotated[int | None, Query(ge=0, le=JS_SAFE_MAX)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> list[dm.DirectMessage]:
    command = dm.GetDirectHistory(
        actor_id=session.user.id, conversation_id=conversation_id, before=before, after=after, limit=limit
    )
    return (await request.app.state.bus.request(subjects.DM_HISTORY, command)).messages


@router.post("/api/messagepal/blocks", status_code=201)
async def block(body: OpenDirectBody, session: Session, request: Request) -> Ok:
    await request.app.state.bus.request(subjects.DM_BLOCK, dm.BlockUser(actor_id=session.user.id, user_id=body.user_id))
    return Ok()


@router.delete("/api/messagepal/blocks/{user_id}")
async def unblock(user_id: Annotated[int, Path(ge=1, le=JS_SAFE_MAX)], session: Session, request: Request) -> Ok:
    await request.app.state.bus.request(subjects.DM_UNBLOCK, dm.UnblockUser(actor_id=session.user.id, user_id=user_id))
    return Ok()
