"""`GET /api/messages/{id}/thread`: the replies to a message, oldest first. A reply is
posted like any message, with `replyTo` (`POST /api/messages`, `send_message`)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from parley_contracts import auth, chat, subjects, threads
from parley_contracts.base import JS_SAFE_MAX

from .sessions import current_session

router = APIRouter()


@router.get("/api/messages/{message_id}/thread", response_model_exclude_none=True)
async def thread(
    message_id: Annotated[int, Path(ge=1, le=JS_SAFE_MAX)],
    session: Annotated[auth.SessionValid, Depends(current_session)],
    request: Request,
    after: Annotated[int | None, Query(ge=0, le=JS_SAFE_MAX)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> list[chat.ChannelMessage]:
    command = threads.GetThread(actor_id=session.user.id, message_id=message_id, after=after, limit=limit)
    return (await request.app.state.bus.request(subjects.CHAT_THREAD, command)).replies
