"""Handlers of the commands that change a posted message or tell about it: edit,
delete, reactions, pins and delivery receipts. Each appends one event to the message's
channel stream, so history, resume and fan-out carry it as they carry the post; a
set-like command that would change nothing appends nothing.

A message is found by its id alone (ids are unique across channels); a command that
names a channel too is refused when the message is in another one."""

from typing import cast

from parley_contracts import chat
from parley_contracts import message_changes as changes
from parley_contracts.errors import ErrorCode
from parley_contracts.replies import Empty
from parley_runtime.clock import now
from parley_runtime.errors import ParleyError

from . import access, projection
from .handlers import Outcome, Ports, channel_of
from .streams import BuildEvent, delivery_key


async def _message(ports: Ports, message_id: int, channel_id: int | None) -> chat.ChannelMessage:
    """A message that is there and not deleted, in `channel_id` when one is named."""
    message = await ports.streams.message_by_id(message_id)
    if message is None or message.deleted or (channel_id is not None and message.channel_id != channel_id):
        where = "in this channel" if channel_id is not None else ""
        raise ParleyError(ErrorCode.NOT_FOUND, f"no such message {where}".strip())
    return message


async def _member_message(
    ports: Ports, actor_id: int, message_id: int, channel_id: int | None
) -> tuple[chat.ChannelMessage, chat.WorkspaceRole]:
    """The message and the actor's role in its channel. Access is checked first when the
    channel is named, so a non-member learns nothing of its messages."""
    if channel_id is not None:
        await channel_of(ports, channel_id, actor_id)
    message = await _message(ports, message_id, channel_id)
    _, role = await channel_of(ports, message.channel_id, actor_id)
    return message, role


async def _append(ports: Ports, channel_id: int, build: BuildEvent, key: str | None = None) -> list[chat.ChannelEvent]:
    appended = await ports.streams.append(channel_id, build, key)
    return [] if appended.duplicate else [appended.event]


async def _act(
    ports: Ports,
    message: chat.ChannelMessage,
    actor_id: int,
    kind: type[chat.MemberActed],
    key: str | None = None,
    **fields: object,
) -> list[chat.ChannelEvent]:
    """Appends what the member did to the message: an event of `kind` with `fields`."""

    def build(seq: int) -> chat.ChannelEvent:
        event = kind(channel_id=message.channel_id, seq=seq, occurred_at=now(), message_id=message.id,
                     user_id=actor_id, **fields)  # fmt: skip
        return cast(chat.ChannelEvent, event)

    return await _append(ports, message.channel_id, build, key)


async def edit_message(command: chat.EditMessage, ports: Ports) -> Outcome:
    message, _ = await _member_message(ports, command.actor_id, command.message_id, command.channel_id)
    if message.author_id != command.actor_id:
        raise ParleyError(ErrorCode.FORBIDDEN, "only the author edits a message")
    edited_at = now()

    def edited(seq: int) -> chat.MessageEdited:
        return chat.MessageEdited(channel_id=message.channel_id, seq=seq, occurred_at=edited_at,
                                  message_id=message.id, content=command.content, edited_at=edited_at)  # fmt: skip

    events = await _append(ports, message.channel_id, edited)
    return message.model_copy(update={"content": command.content, "edited_at": edited_at}), events


async def delete_message(command: chat.DeleteMessage, ports: Ports) -> Outcome:
    message, role = await _member_message(ports, command.actor_id, command.message_id, command.channel_id)
    if message.author_id != command.actor_id and role not in access.MANAGERS:
        raise ParleyError(ErrorCode.FORBIDDEN, "only the author or a workspace owner or admin deletes a message")

    def deleted(seq: int) -> chat.MessageDeleted:
        return chat.MessageDeleted(channel_id=message.channel_id, seq=seq, occurred_at=now(), message_id=message.id)

    return Empty(), await _append(ports, message.channel_id, deleted)


def _reacted(message: chat.ChannelMessage, user_id: int, emoji: str) -> bool:
    return any(r.emoji == emoji and user_id in r.user_ids for r in message.reactions or [])


async def add_reaction(command: changes.AddReaction, ports: Ports) -> Outcome:
    message, _ = await _member_message(ports, command.actor_id, command.message_id, command.channel_id)
    if _reacted(message, command.actor_id, command.emoji):
        return Empty(), []
    emojis = {r.emoji for r in message.reactions or []}
    if len(emojis) >= chat.MAX_EMOJIS and command.emoji not in emojis:
        raise ParleyError(ErrorCode.CONFLICT, f"a message holds at most {chat.MAX_EMOJIS} different emoji")
    return Empty(), await _act(ports, message, command.actor_id, chat.ReactionAdded, emoji=command.emoji)


async def remove_reaction(command: changes.RemoveReaction, ports: Ports) -> Outcome:
    message, _ = await _member_message(ports, command.actor_id, command.message_id, command.channel_id)
    if not _reacted(message, command.actor_id, command.emoji):
        return Empty(), []
    return Empty(), await _act(ports, message, command.actor_id, chat.ReactionRemoved, emoji=command.emoji)


async def pin_message(command: changes.PinMessage, ports: Ports) -> Outcome:
    message, _ = await _member_message(ports, command.actor_id, command.message_id, command.channel_id)
    pinned = await ports.streams.pinned(message.channel_id)
    if any(p.id == message.id for p in pinned):
        return Empty(), []
    if len(pinned) >= chat.MAX_PINS:
        raise ParleyError(ErrorCode.CONFLICT, f"a channel holds at most {chat.MAX_PINS} pinned messages")
    return Empty(), await _act(ports, message, command.actor_id, chat.MessagePinned)


async def unpin_message(command: changes.UnpinMessage, ports: Ports) -> Outcome:
    message, _ = await _member_message(ports, command.actor_id, command.message_id, command.channel_id)
    if all(p.id != message.id for p in await ports.streams.pinned(message.channel_id)):
        return Empty(), []
    return Empty(), await _act(ports, message, command.actor_id, chat.MessageUnpinned)


async def pinned(command: changes.GetPinned, ports: Ports) -> Outcome:
    await channel_of(ports, command.channel_id, command.actor_id)
    messages = await ports.streams.pinned(command.channel_id)
    return changes.PinnedMessages(messages=[projection.as_seen_by(m, command.actor_id) for m in messages]), []


async def mark_delivered(command: changes.MarkDelivered, ports: Ports) -> Outcome:
    """Once per member and message (an idempotency key); the author's own is no receipt."""
    message, _ = await _member_message(ports, command.actor_id, command.message_id, command.channel_id)
    if message.author_id == command.actor_id:
        return Empty(), []
    key = delivery_key(command.actor_id, message.id)
    return Empty(), await _act(
        ports, message, command.actor_id, chat.MessageDelivered, key, author_id=message.author_id
    )
