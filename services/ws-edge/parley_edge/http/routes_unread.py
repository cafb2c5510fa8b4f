"""Unread counts over HTTP: `GET /api/channels/{id}/unread` (the path of the seed,
PersonalLearningPro's chat, which Parley stays compatible with) and
`GET /api/users/me/unread`, every channel (chat) and DM conversation (dm) of the user
in one response. `@mentions` are counted for the session's username."""

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from parley_contracts import auth, dm, subjects, unread
from parley_contracts.base import JS_SAFE_MAX

from .sessions import current_session

router = APIRouter()
Session = Annotated[auth.SessionValid, Depends(current_session)]


@router.get("/api/channels/{channel_id}/unread", response_model_exclude_none=True)
async def channel_unread(
    channel_id: Annotated[int, Path(ge=1, le=JS_SAFE_MAX)], session: Session, request: Request
) -> unread.Unread:
    command = unread.GetUnread(actor_id=session.user.id, username=session.user.username, channel_id=channel_id)
    return await request.app.state.bus.request(subjects.CHAT_UNREAD, command)


@router.get("/api/users/me/unread", response_model_exclude_none=True)
async def all_unread(session: Session, request: Request) -> unread.UserUnread:
    bus = request.app.state.bus
    user = session.user
    channels, inbox = await asyncio.gather(
        bus.request(subjects.CHAT_UNREAD_ALL, unread.GetAllUnread(actor_id=user.id, username=user.username)),
        bus.request(subjects.DM_INBOX, dm.GetInbox(actor_id=user.id)),
    )
    conversations = [
        unread.ConversationUnread(conversation_id=entry.conversation_id, other_user_id=entry.other_user_id,
                                  count=min(entry.unread, unread.UNREAD_CAP), last_read_seq=entry.last_read_seq)
        for entry in inbox.conversations
    ]  # fmt: skip
    return unread.UserUnread(channels=channels.channels, conversations=conversations)
