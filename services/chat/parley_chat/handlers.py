"""Chat command handlers: plain async functions of a command and the ports they need.

Each returns its reply and the stream events it appended; the caller settles and
publishes those events before it replies (see `publishing`).
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cached_property

from parley_contracts import chat
from parley_contracts.chat import Channel, WorkspaceRole
from parley_contracts.errors import ErrorCode
from parley_contracts.replies import Empty
from parley_runtime.clock import now
from parley_runtime.errors import ParleyError
from parley_storage.event_log import position, read_since
from parley_storage.id_blocks import IdBlocks

from . import access, projection
from .directory import Directory, NameTaken, existing
from .streams import Streams, post_key

Outcome = tuple[object, list[chat.ChannelEvent]]


@dataclass(frozen=True)
class Ports:
    directory: Directory
    streams: Streams
    ids: IdBlocks
    known_users: Callable[[list[int]], Awaitable[set[int]]]
    """Which of these user ids exist (asked of the auth service)."""
    assistant_id: Callable[[], Awaitable[int | None]]
    """The assistant's user id, if it exists: it may act wherever a workspace enables it."""

    @cached_property
    def channels(self) -> access.KnownChannels:
        return access.KnownChannels(self.directory)


async def channel_of(ports: Ports, channel_id: int, actor_id: int) -> tuple[Channel, WorkspaceRole]:
    """The channel and the actor's role in it, or the refusal (`access.channel_for`)."""
    return await access.channel_for(ports.directory, ports.channels, channel_id, actor_id, await ports.assistant_id())


async def _require_users(ports: Ports, user_ids: list[int]) -> None:
    missing = set(user_ids) - await ports.known_users(user_ids)
    if missing:
        raise ParleyError(ErrorCode.NOT_FOUND, f"no such user: {', '.join(map(str, sorted(missing)))}")


# Workspaces and members -------------------------------------------------------


async def create_workspace(command: chat.CreateWorkspace, ports: Ports) -> Outcome:
    workspace = await ports.directory.create_workspace(command.name, command.description, command.actor_id, now())
    return workspace, []


async def get_workspace(command: chat.GetWorkspace, ports: Ports) -> Outcome:
    await access.workspace_role(ports.directory, command.workspace_id, command.actor_id)
    detail = chat.WorkspaceDetail(
        workspace=existing(await ports.directory.workspace(command.workspace_id)),  # workspace_role found it
        members=await ports.directory.members(command.workspace_id),
        channels=await ports.directory.channels_of(command.workspace_id),
    )
    return detail, []


async def list_workspaces(command: chat.ListWorkspaces, ports: Ports) -> Outcome:
    return chat.WorkspaceList(workspaces=await ports.directory.workspaces_of(command.actor_id)), []


async def add_member(command: chat.AddMember, ports: Ports) -> Outcome:
    await access.require_manager(ports.directory, command.workspace_id, command.actor_id)
    await _require_users(ports, [command.user_id])
    return await ports.directory.add_member(command.workspace_id, command.user_id, command.role), []


async def remove_member(command: chat.RemoveMember, ports: Ports) -> Outcome:
    actor_role = await access.require_manager(ports.directory, command.workspace_id, command.actor_id)
    target_role = await ports.directory.role_of(command.workspace_id, command.user_id)
    if target_role is None:
        raise ParleyError(ErrorCode.NOT_FOUND, "that user is not a member")
    if target_role is chat.WorkspaceRole.OWNER:
        raise ParleyError(ErrorCode.FORBIDDEN, "the owner cannot be removed")
    if target_role is chat.WorkspaceRole.ADMIN and actor_role is not chat.WorkspaceRole.OWNER:
        raise ParleyError(ErrorCode.FORBIDDEN, "only the owner removes admins")
    await ports.directory.remove_member(command.workspace_id, command.user_id)
    events = []
    for channel in await ports.directory.channels_of(command.workspace_id):

        def removed(seq: int, channel_id: int = channel.id) -> chat.MemberRemoved:
            return chat.MemberRemoved(channel_id=channel_id, seq=seq, occurred_at=now(), user_id=command.user_id)

        appended = await ports.streams.append(channel.id, removed)
        events.append(appended.event)
    return Empty(), events


async def set_assistant_enabled(command: chat.SetAssistantEnabled, ports: Ports) -> Outcome:
    await access.require_manager(ports.directory, command.workspace_id, command.actor_id)
    return await ports.directory.set_assistant_enabled(command.workspace_id, command.enabled), []


# Channels ----------------------------------------------------------------------


async def create_channel(command: chat.CreateChannel, ports: Ports) -> Outcome:
    await access.require_manager(ports.directory, command.workspace_id, command.actor_id)
    try:
        channel = await ports.directory.create_channel(command.workspace_id, command.name, command.type, now())
    except NameTaken as exc:
        raise ParleyError(ErrorCode.CONFLICT, "this workspace already has a channel of that name") from exc
    return channel, []


async def list_channels(command: chat.ListChannels, ports: Ports) -> Outcome:
    await access.workspace_role(ports.directory, command.workspace_id, command.actor_id)
    return chat.ChannelList(channels=await ports.directory.channels_of(command.workspace_id)), []


async def open_direct_channel(command: chat.OpenDirectChannel, ports: Ports) -> Outcome:
    if command.other_user_id == command.actor_id:
        raise ParleyError(ErrorCode.BAD_REQUEST, "a direct channel needs another user")
    await _require_users(ports, [command.other_user_id])
    return await ports.directory.open_direct(command.actor_id, command.other_user_id, now()), []


async def list_direct_channels(command: chat.ListDirectChannels, ports: Ports) -> Outcome:
    return chat.ChannelList(channels=await ports.directory.directs_of(command.actor_id)), []


async def authorize_join(command: chat.AuthorizeJoin, ports: Ports) -> Outcome:
    channel, _ = await channel_of(ports, command.channel_id, command.actor_id)
    head, epoch = await position(ports.streams, channel.id)
    return chat.JoinAuthorized(channel=channel, last_seq=head, epoch=epoch), []


# Messages ----------------------------------------------------------------------


async def post_message(command: chat.PostMessage, ports: Ports) -> Outcome:
    channel, role = await channel_of(ports, command.channel_id, command.actor_id)
    access.require_may_post(channel, role)
    if command.reply_to is not None:
        parent = await ports.streams.message(channel.id, command.reply_to)
        if parent is None or parent.deleted:
            raise ParleyError(ErrorCode.NOT_FOUND, "the message replied to is not in this channel")
    message_id = await ports.ids.next()
    posted_at = now()

    def build(seq: int) -> chat.MessagePosted:
        message = chat.ChannelMessage(
            id=message_id, channel_id=channel.id, author_id=command.actor_id, content=command.content,
            message_type=command.message_type, reply_to=command.reply_to, mentions=command.mentions,
            file_url=command.file_url, client_msg_id=command.client_msg_id, seq=seq, created_at=posted_at,
        )  # fmt: skip
        return chat.MessagePosted(channel_id=channel.id, seq=seq, occurred_at=posted_at, message=message)

    key = post_key(command.actor_id, command.client_msg_id) if command.client_msg_id else None
    appended = await ports.streams.append(channel.id, build, key)
    assert isinstance(appended.event, chat.MessagePosted)  # the key is a post's, so its first event was a post
    reply = chat.MessageAccepted(message=appended.event.message, duplicate=appended.duplicate)
    # A retry delivers the original again: its first writer may have died after the
    # commit and before settling it, and settling and publishing twice change nothing.
    return reply, [appended.event]


async def _own_message(ports: Ports, channel_id: int, message_id: int) -> chat.ChannelMessage:
    message = await ports.streams.message(channel_id, message_id)
    if message is None or message.deleted:
        raise ParleyError(ErrorCode.NOT_FOUND, "no such message in this channel")
    return message


async def history(command: chat.GetHistory, ports: Ports) -> Outcome:
    await channel_of(ports, command.channel_id, command.actor_id)
    messages = await ports.streams.history(command.channel_id, command.before, command.after, command.limit)
    return chat.History(messages=[projection.as_seen_by(m, command.actor_id) for m in messages]), []


async def events_since(command: chat.GetEventsSince, ports: Ports) -> Outcome:
    await channel_of(ports, command.channel_id, command.actor_id)
    return await _event_batch(ports, command.channel_id, command.after_seq, command.limit), []


async def feed_events_since(command: chat.ReadChannelEvents, ports: Ports) -> Outcome:
    """The edge's read: no user to authorize, as only the edge's NATS user may ask."""
    return await _event_batch(ports, command.channel_id, command.after_seq, command.limit), []


async def _event_batch(ports: Ports, channel_id: int, after_seq: int, limit: int) -> chat.EventBatch:
    since = await read_since(ports.streams, channel_id, after_seq, limit)
    return chat.EventBatch.model_validate(since, from_attributes=True)
