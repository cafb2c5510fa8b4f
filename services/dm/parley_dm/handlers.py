"""DM command handlers: plain async functions of a command and the ports they need.
Each returns its reply and the conversation events it appended."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from parley_contracts import dm
from parley_contracts.errors import ErrorCode
from parley_contracts.replies import Empty
from parley_runtime.clock import now
from parley_runtime.errors import ParleyError
from parley_storage.event_log import position, read_since
from parley_storage.id_blocks import IdBlocks

from .store import DmStore

Outcome = tuple[object, list[dm.ConversationEvent]]


@dataclass(frozen=True)
class Ports:
    store: DmStore
    ids: IdBlocks
    known_users: Callable[[list[int]], Awaitable[set[int]]]


def require_participant(conversation_id: str, actor_id: int) -> int:
    """The other participant; refuses anyone who is not one of the two."""
    low, high = dm.participants(conversation_id)
    if actor_id not in (low, high):
        raise ParleyError(ErrorCode.FORBIDDEN, "you are not in this conversation")
    return high if actor_id == low else low


async def send(command: dm.SendDirectMessage, ports: Ports) -> Outcome:
    if command.recipient_id == command.actor_id:
        raise ParleyError(ErrorCode.BAD_REQUEST, "a direct message needs another user")
    if command.recipient_id not in await ports.known_users([command.recipient_id]):
        raise ParleyError(ErrorCode.NOT_FOUND, "no such user")
    if await ports.store.is_blocked(command.recipient_id, command.actor_id):
        raise ParleyError(ErrorCode.BLOCKED, "this user does not accept your messages")
    conversation_id = dm.conversation_id(command.actor_id, command.recipient_id)
    message_id = await ports.ids.next()
    sent_at = now()

    def build(seq: int) -> dm.DirectMessageSent:
        message = dm.DirectMessage(
            id=message_id, conversation_id=conversation_id, sender_id=command.actor_id,
            recipient_id=command.recipient_id, content=command.content, client_msg_id=command.client_msg_id,
            seq=seq, created_at=sent_at,
        )  # fmt: skip
        return dm.DirectMessageSent(conversation_id=conversation_id, seq=seq, occurred_at=sent_at, message=message)

    key = f"{command.actor_id}:{command.client_msg_id}" if command.client_msg_id else None
    appended = await ports.store.append(conversation_id, build, key)
    assert isinstance(appended.event, dm.DirectMessageSent)  # the key is a send's, so its first event was a send
    reply = dm.DirectMessageAccepted(message=appended.event.message, duplicate=appended.duplicate)
    # A retry delivers the original again: its first writer may have died after the
    # commit and before settling it, and settling and publishing twice change nothing.
    return reply, [appended.event]


async def mark_read(command: dm.MarkDirectRead, ports: Ports) -> Outcome:
    message = await ports.store.message(command.message_id)
    if message is None:
        raise ParleyError(ErrorCode.NOT_FOUND, "no such message")
    require_participant(message.conversation_id, command.actor_id)
    if message.recipient_id != command.actor_id:
        raise ParleyError(ErrorCode.BAD_REQUEST, "only the recipient marks a message read")
    read_at = now()
    appended = await ports.store.append(
        message.conversation_id,
        lambda seq: dm.DirectMessageRead(
            conversation_id=message.conversation_id,
            seq=seq,
            occurred_at=read_at,
            message_id=message.id,
            read_by=command.actor_id,
            read_at=read_at,
        ),
    )
    return Empty(), [appended.event]


async def _own_message(ports: Ports, message_id: int, actor_id: int, verb: str) -> dm.DirectMessage:
    """The actor's own message, not deleted; the refusal says why not."""
    message = await ports.store.message(message_id)
    if message is None or message.deleted:
        raise ParleyError(ErrorCode.NOT_FOUND, "no such message")
    require_participant(message.conversation_id, actor_id)
    if message.sender_id != actor_id:
        raise ParleyError(ErrorCode.FORBIDDEN, f"only the sender {verb} a message")
    return message


async def edit_message(command: dm.EditDirectMessage, ports: Ports) -> Outcome:
    message = await _own_message(ports, command.message_id, command.actor_id, "edits")
    edited_at = now()
    appended = await ports.store.append(
        message.conversation_id,
        lambda seq: dm.DirectMessageEdited(
            conversation_id=message.conversation_id,
            seq=seq,
            occurred_at=edited_at,
            message_id=message.id,
            content=command.content,
            edited_at=edited_at,
        ),
    )
    return message.model_copy(update={"content": command.content, "edited_at": edited_at}), [appended.event]


async def delete_message(command: dm.DeleteDirectMessage, ports: Ports) -> Outcome:
    message = await _own_message(ports, command.message_id, command.actor_id, "deletes")
    appended = await ports.store.append(
        message.conversation_id,
        lambda seq: dm.DirectMessageDeleted(
            conversation_id=message.conversation_id, seq=seq, occurred_at=now(), message_id=message.id
        ),
    )
    return Empty(), [appended.event]


async def history(command: dm.GetDirectHistory, ports: Ports) -> Outcome:
    require_participant(command.conversation_id, command.actor_id)
    messages = await ports.store.history(command.conversation_id, command.before, command.after, command.limit)
    return dm.DirectHistory(conversation_id=command.conversation_id, messages=messages), []


async def authorize(command: dm.AuthorizeConversation, ports: Ports) -> Outcome:
    require_participant(command.conversation_id, command.actor_id)
    head, epoch = await position(ports.store, command.conversation_id)
    return dm.ConversationAuthorized(conversation_id=command.conversation_id, last_seq=head, epoch=epoch), []


async def events_since(command: dm.GetDirectEventsSince, ports: Ports) -> Outcome:
    require_participant(command.conversation_id, command.actor_id)
    return await _event_batch(ports, command.conversation_id, command.after_seq, command.limit), []


async def feed_events_since(command: dm.ReadConversationEvents, ports: Ports) -> Outcome:
    """The edge's read: no user to authorize, as only the edge's NATS user may ask."""
    return await _event_batch(ports, command.conversation_id, command.after_seq, command.limit), []


async def _event_batch(ports: Ports, conversation_id: str, after_seq: int, limit: int) -> dm.DirectEventBatch:
    since = await read_since(ports.store, conversation_id, after_seq, limit)
    return dm.DirectEventBatch.model_validate(since, from_attributes=True)


async def inbox(command: dm.GetInbox, ports: Ports) -> Outcome:
    return dm.Inbox(conversations=await ports.store.inbox(command.actor_id)), []


async def block(command: dm.BlockUser, ports: Ports) -> Outcome:
    if command.user_id == command.actor_id:
        raise ParleyError(ErrorCode.BAD_REQUEST, "you cannot block yourself")
    await ports.store.set_blocked(command.actor_id, command.user_id, True)
    return Empty(), []


async def unblock(command: dm.UnblockUser, ports: Ports) -> Outcome:
    await ports.store.set_blocked(command.actor_id, command.user_id, False)
    return Empty(), []
