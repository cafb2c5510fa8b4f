"""Who may do what in a channel or workspace: every refusal in one place."""

from parley_contracts.chat import Channel, ChannelType, WorkspaceRole
from parley_contracts.errors import ErrorCode
from parley_runtime.errors import ParleyError

from .directory import Directory, existing

MANAGERS = (WorkspaceRole.OWNER, WorkspaceRole.ADMIN)


class KnownChannels:
    """The directory's channels, each read once: nothing changes or deletes a channel once
    it is made (see `directory.existing`), so what was read stays true. What does change,
    who is a member of its workspace and with what role, is read for every request."""

    def __init__(self, directory: Directory, remember: int = 100_000):
        self._directory = directory
        self._remember = remember
        self._known: dict[int, Channel] = {}

    async def get(self, channel_id: int) -> Channel | None:
        channel = self._known.get(channel_id)
        if channel is None:
            channel = await self._directory.channel(channel_id)
            if channel is not None:
                if len(self._known) >= self._remember:
                    self._known.clear()
                self._known[channel_id] = channel
        return channel


async def channel_for(
    directory: Directory, channels: KnownChannels, channel_id: int, actor_id: int, assistant_id: int | None = None
) -> tuple[Channel, WorkspaceRole]:
    """The channel and the actor's role in it, or a refusal. DM participants count as
    members, and so does the assistant in a workspace that has it enabled."""
    channel = await channels.get(channel_id)
    if channel is None:
        raise ParleyError(ErrorCode.NOT_FOUND, "no such channel")
    if channel.type is ChannelType.DM:
        if actor_id not in (channel.member_ids or []):
            raise ParleyError(ErrorCode.FORBIDDEN, "you are not in this conversation")
        return channel, WorkspaceRole.MEMBER
    workspace_id = existing(channel.workspace_id)  # only DM channels, answered above, have none
    role = await directory.role_of(workspace_id, actor_id)
    if (
        role is None
        and actor_id == assistant_id
        and existing(await directory.workspace(workspace_id)).assistant_enabled
    ):
        role = WorkspaceRole.MEMBER
    if role is None:
        raise ParleyError(ErrorCode.FORBIDDEN, "you are not a member of this channel's workspace")
    return channel, role


async def workspace_role(directory: Directory, workspace_id: int, actor_id: int) -> WorkspaceRole:
    if await directory.workspace(workspace_id) is None:
        raise ParleyError(ErrorCode.NOT_FOUND, "no such workspace")
    role = await directory.role_of(workspace_id, actor_id)
    if role is None:
        raise ParleyError(ErrorCode.FORBIDDEN, "you are not a member of this workspace")
    return role


async def require_manager(directory: Directory, workspace_id: int, actor_id: int) -> WorkspaceRole:
    role = await workspace_role(directory, workspace_id, actor_id)
    if role not in MANAGERS:
        raise ParleyError(ErrorCode.FORBIDDEN, "only the workspace's owner and admins may do that")
    return role


def require_may_post(channel: Channel, role: WorkspaceRole) -> None:
    if channel.type is ChannelType.ANNOUNCEMENT and role not in MANAGERS:
        raise ParleyError(ErrorCode.FORBIDDEN, "only admins post in an announcement channel")
