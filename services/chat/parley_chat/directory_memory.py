"""In-memory adapter of the directory port, for unit tests of pure logic. It passes the
directory conformance suite with the real adapters."""

from datetime import datetime

from parley_contracts.chat import Channel, ChannelType, Member, Workspace, WorkspaceRole

from .directory import NameTaken


class MemoryDirectory:
    def __init__(self) -> None:
        self._last_id = 0
        self._workspaces: dict[int, Workspace] = {}
        self._roles: dict[tuple[int, int], WorkspaceRole] = {}
        self._channels: dict[int, Channel] = {}

    async def reserve_ids(self, count: int) -> int:
        self._last_id += count
        return self._last_id

    async def create_workspace(self, name: str, description: str | None, owner_id: int, now: datetime) -> Workspace:
        workspace = Workspace(id=await self.reserve_ids(1), name=name, description=description, owner_id=owner_id,
                              assistant_enabled=True, created_at=now)  # fmt: skip
        self._workspaces[workspace.id] = workspace
        self._roles[workspace.id, owner_id] = WorkspaceRole.OWNER
        return workspace

    async def workspace(self, workspace_id: int) -> Workspace | None:
        return self._workspaces.get(workspace_id)

    async def workspaces_of(self, user_id: int) -> list[Workspace]:
        return [self._workspaces[ws] for ws, user in sorted(self._roles) if user == user_id]

    async def set_assistant_enabled(self, workspace_id: int, enabled: bool) -> Workspace:
        updated = self._workspaces[workspace_id].model_copy(update={"assistant_enabled": enabled})
        self._workspaces[workspace_id] = updated
        return updated

    async def role_of(self, workspace_id: int, user_id: int) -> WorkspaceRole | None:
        return self._roles.get((workspace_id, user_id))

    async def members(self, workspace_id: int) -> list[Member]:
        return [
            Member(user_id=user, role=role) for (ws, user), role in sorted(self._roles.items()) if ws == workspace_id
        ]

    async def add_member(self, workspace_id: int, user_id: int, role: WorkspaceRole) -> Member:
        return Member(user_id=user_id, role=self._roles.setdefault((workspace_id, user_id), role))

    async def remove_member(self, workspace_id: int, user_id: int) -> bool:
        return self._roles.pop((workspace_id, user_id), None) is not None

    async def create_channel(self, workspace_id: int, name: str, type: ChannelType, now: datetime) -> Channel:
        if any(c.workspace_id == workspace_id and c.name.lower() == name.lower() for c in self._channels.values()):
            raise NameTaken
        channel = Channel(id=await self.reserve_ids(1), workspace_id=workspace_id, name=name, type=type, created_at=now)
        self._channels[channel.id] = channel
        return channel

    async def channel(self, channel_id: int) -> Channel | None:
        return self._channels.get(channel_id)

    async def channels_of(self, workspace_id: int) -> list[Channel]:
        return [c for _, c in sorted(self._channels.items()) if c.workspace_id == workspace_id]

    async def open_direct(self, user_a: int, user_b: int, now: datetime) -> Channel:
        low, high = sorted((user_a, user_b))
        for channel in self._channels.values():
            if channel.type is ChannelType.DM and channel.member_ids == [low, high]:
                return channel
        channel = Channel(id=await self.reserve_ids(1), workspace_id=None, name=f"dm-{low}-{high}",
                          type=ChannelType.DM, member_ids=[low, high], created_at=now)  # fmt: skip
        self._channels[channel.id] = channel
        return channel

    async def directs_of(self, user_id: int) -> list[Channel]:
        return [c for _, c in sorted(self._channels.items()) if user_id in (c.member_ids or [])]

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None
