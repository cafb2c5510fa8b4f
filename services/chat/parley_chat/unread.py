"""Unread counts (`parley_contracts.unread`): `mark_read` moves the reader's position
forward, never back, and counts are derived from the messages after it when asked.

Why derived at read time: a post then writes nothing per member (a maintained counter
would cost one write per member on every post, in the post's path), and a read costs
one position lookup and one page of at most `UNREAD_CAP` messages, which in the usual
case, a few unread, is a few rows.
"""

import asyncio
import re
from collections.abc import Iterable

from parley_contracts import chat, unread
from parley_contracts.errors import ErrorCode
from parley_contracts.unread import UNREAD_CAP
from parley_runtime.clock import now
from parley_runtime.errors import ParleyError

from .handlers import Outcome, Ports, channel_of


def names(message: chat.ChannelMessage, username: str) -> bool:
    """Does the message mention the user by `@username`? A username may hold `.` and `-`,
    so a sentence's full stop after it still counts."""
    pattern = rf"(?<![\w.@-])@{re.escape(username)}(?![\w-]|\.[\w-])"
    return re.search(pattern, message.content, re.IGNORECASE) is not None


def tally(messages: Iterable[chat.ChannelMessage], reader_id: int, username: str | None = None) -> tuple[int, int]:
    """How many of these messages are unread for the reader (others wrote them, nobody
    deleted them), and how many of those mention the reader."""
    count = mentions = 0
    for message in messages:
        if message.author_id == reader_id or message.deleted:
            continue
        count += 1
        if reader_id in message.mentions or (username is not None and names(message, username)):
            mentions += 1
    return min(count, UNREAD_CAP), min(mentions, UNREAD_CAP)


async def _after(ports: Ports, channel_id: int, position: int) -> list[chat.ChannelMessage]:
    return await ports.streams.history(channel_id, None, position, UNREAD_CAP)


async def _unread_of(ports: Ports, channel_id: int, reader_id: int, username: str) -> unread.Unread:
    position = await ports.streams.read_position(channel_id, reader_id)
    count, mentions = tally(await _after(ports, channel_id, position), reader_id, username)
    return unread.Unread(count=count, mentions=mentions, last_read_seq=position)


async def mark_read(command: chat.MarkRead, ports: Ports) -> Outcome:
    await channel_of(ports, command.channel_id, command.actor_id)
    message = await ports.streams.message(command.channel_id, command.message_id)
    if message is None or message.deleted:
        raise ParleyError(ErrorCode.NOT_FOUND, "no such message in this channel")
    before = await ports.streams.read_position(command.channel_id, command.actor_id)
    appended = await ports.streams.append(
        command.channel_id,
        lambda seq: chat.MessageRead(
            channel_id=command.channel_id, seq=seq, occurred_at=now(), message_id=message.id, user_id=command.actor_id
        ),
    )
    position = max(before, message.seq)  # a read receipt for an older message leaves the position
    later = await _after(ports, command.channel_id, before)
    count_before, _ = tally(later, command.actor_id)
    count, _ = tally((m for m in later if m.seq > position), command.actor_id)
    reply = unread.ReadMarked(last_read_seq=position, count=count, delta=count - count_before)
    return reply, [appended.event]


async def channel_unread(command: unread.GetUnread, ports: Ports) -> Outcome:
    await channel_of(ports, command.channel_id, command.actor_id)
    return await _unread_of(ports, command.channel_id, command.actor_id, command.username), []


async def all_unread(command: unread.GetAllUnread, ports: Ports) -> Outcome:
    """Every channel of every workspace the actor is in, and their direct channels."""
    directory = ports.directory
    channels = [c for w in await directory.workspaces_of(command.actor_id) for c in await directory.channels_of(w.id)]
    channels += await directory.directs_of(command.actor_id)
    counts = await asyncio.gather(*(_unread_of(ports, c.id, command.actor_id, command.username) for c in channels))
    listed = [
        unread.ChannelUnread(channel_id=c.id, workspace_id=c.workspace_id, **found.model_dump())
        for c, found in zip(channels, counts, strict=True)
    ]
    return unread.ChannelUnreadList(channels=listed), []
