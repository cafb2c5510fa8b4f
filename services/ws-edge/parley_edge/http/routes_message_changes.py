"""The HTTP half of changing a posted message: edit and delete (the
`DELETE /api/messages/:id` of the seed, PersonalLearningPro's chat, which Parley stays
compatible with), reactions, and the seed's pin routes. Each route is one
chat command with the acting user from the session; the change reaches sockets through
the channel's fan-out as a socket's own change does."""

from typing import Annotated

from fastapi import APIRouter, Path, Request

from parley_contracts import chat, message_changes, subjects
from parley_contracts.http import EditMessageBody, Ok

from .routes_chat import IdPath, Session, ask

router = APIRouter()


async def done(request: Request, command: subjects.Command, payload) -> Ok:
    """Asks a command whose answer says only that it was done."""
    await ask(request, command, payload)
    return Ok()


EmojiPath = Annotated[str, Path(min_length=1, max_length=64)]
"""Checked as an emoji by the command; this only bounds it."""


@router.patch("/api/messages/{message_id}", response_model_exclude_none=True)
async def edit_message(
    message_id: IdPath, body: EditMessageBody, session: Session, request: Request
) -> chat.ChannelMessage:
    command = chat.EditMessage(actor_id=session.user.id, message_id=message_id, content=body.content)
    return await ask(request, subjects.CHAT_EDIT_MESSAGE, command)


@router.delete("/api/messages/{message_id}")
async def delete_message(message_id: IdPath, session: Session, request: Request) -> Ok:
    await ask(
        request, subjects.CHAT_DELETE_MESSAGE, chat.DeleteMessage(actor_id=session.user.id, message_id=message_id)
    )
    return Ok()


@router.put("/api/messages/{message_id}/reactions/{emoji}")
async def add_reaction(message_id: IdPath, emoji: EmojiPath, session: Session, request: Request) -> Ok:
    command = message_changes.AddReaction(actor_id=session.user.id, message_id=message_id, emoji=emoji)
    return await done(request, subjects.CHAT_ADD_REACTION, command)


@router.delete("/api/messages/{message_id}/reactions/{emoji}")
async def remove_reaction(message_id: IdPath, emoji: EmojiPath, session: Session, request: Request) -> Ok:
    command = message_changes.RemoveReaction(actor_id=session.user.id, message_id=message_id, emoji=emoji)
    return await done(request, subjects.CHAT_REMOVE_REACTION, command)


@router.post("/api/channels/{channel_id}/pin/{message_id}")
async def pin_message(channel_id: IdPath, message_id: IdPath, session: Session, request: Request) -> Ok:
    command = message_changes.PinMessage(actor_id=session.user.id, channel_id=channel_id, message_id=message_id)
    return await done(request, subjects.CHAT_PIN_MESSAGE, command)


@router.delete("/api/channels/{channel_id}/pin/{message_id}")
async def unpin_message(channel_id: IdPath, message_id: IdPath, session: Session, request: Request) -> Ok:
    command = message_changes.UnpinMessage(actor_id=session.user.id, channel_id=channel_id, message_id=message_id)
    return await done(request, subjects.CHAT_UNPIN_MESSAGE, command)


@router.get("/api/channels/{channel_id}/pinned", response_model_exclude_none=True)
async def pinned(channel_id: IdPath, session: Session, request: Request) -> list[chat.ChannelMessage]:
    command = message_changes.GetPinned(actor_id=session.user.id, channel_id=channel_id)
    return (await ask(request, subjects.CHAT_PINNED, command)).messages
