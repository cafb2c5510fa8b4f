"""Threads: the replies to a message, read from the stream's projection. A reply itself
is posted like any message (`handlers.post_message` with `replyTo`)."""

from parley_contracts import threads
from parley_contracts.errors import ErrorCode
from parley_runtime.errors import ParleyError

from .handlers import Outcome, Ports, channel_of


async def thread(command: threads.GetThread, ports: Ports) -> Outcome:
    found = await ports.streams.message_by_id(command.message_id)
    if found is None:
        raise ParleyError(ErrorCode.NOT_FOUND, "no such message")
    channel_id = found.channel_id
    await channel_of(ports, channel_id, command.actor_id)
    # History's page ending at the parent's seq is the parent, with its thread's figures.
    [parent] = await ports.streams.history(channel_id, found.seq + 1, None, 1)
    replies = await ports.streams.thread(channel_id, command.message_id, command.after, command.limit)
    return threads.Thread(parent=parent, replies=replies), []
