"""The directory port: workspaces, channels, members and id blocks.
Adapters: `directory_sqlite`, `directory_mongo`, `directory_memory`.

A *DM channel* here (`ChannelType.DM`, "direct channel" in the handlers and routes) is
chat's two-person channel of no workspace, posted to like any channel; it is not a
conversation of the dm service (`parley_dm`, `/messagepal`), which keeps its own streams."""

from datetime import datetime
from typing import Protocol, TypeVar

from parley_contracts.chat import Channel, ChannelType, Member, Workspace, WorkspaceRole

T = TypeVar("T")


class NameTaken(Exception):
    """A channel of that name already exists in the workspace."""


def existing(value: T | None) -> T:
    """What must be there: a row just written (by this process or a rival), a channel's
    workspace or its id (only DM channels have none). Nothing deletes workspaces or
    channels; a member removed at that very moment is the one way it is missing, and
    fails that request."""
    if value is None:
        raise LookupError("a row that was just there is gone")
    return value


class Directory(Protocol):
    async def create_workspace(self, name: str, description: str | None, owner_id: int, now: datetime) -> Workspace:
        """Creates it with the owner as its first member."""

    async def workspace(self, workspace_id: int) -> Workspace | None: ...

    async def workspaces_of(self, user_id: int) -> list[Workspace]: ...

    async def set_assistant_enabled(self, workspace_id: int, enabled: bool) -> Workspace: ...

    async def role_of(self, workspace_id: int, user_id: int) -> WorkspaceRole | None: ...

    async def members(self, workspace_id: int) -> list[Member]: ...

    async def add_member(self, workspace_id: int, user_id: int, role: WorkspaceRole) -> Member:
        """Idempotent: an existing member keeps the role they have."""

    async def remove_member(self, workspace_id: int, user_id: int) -> bool: ...

    async def create_channel(self, workspace_id: int, name: str, type: ChannelType, now: datetime) -> Channel:
        """Raises NameTaken when the workspace has a channel of that name (case-insensitive)."""

    async def channel(self, channel_id: int) -> Channel | None: ...

    async def channels_of(self, workspace_id: int) -> list[Channel]: ...

    async def open_direct(self, user_a: int, user_b: int, now: datetime) -> Channel:
        """The one DM channel of the pair, created on first use."""

    async def directs_of(self, user_id: int) -> list[Channel]: ...

    async def reserve_ids(self, count: int) -> int:
        """Reserves `count` unique ids; returns the last one of the block."""

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...
