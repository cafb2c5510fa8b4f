"""Threads: a reply is a channel message with `replyTo` set (`chat.MessageDraft`); its
parent carries `replyCount` and `lastReplyAt`. `chat.cmd.thread` lists a message's
replies, oldest first."""

from .base import Contract, Id, LastSeq
from .chat import ChannelMessage, HistoryLimit


class GetThread(Contract):
    """The replies to `message_id`, found in whichever channel holds it."""

    actor_id: Id
    message_id: Id
    after: LastSeq | None = None
    """Replies after this `seq` (paging forward); from the first when None."""
    limit: HistoryLimit = 50


class Thread(Contract):
    parent: ChannelMessage
    replies: list[ChannelMessage]
