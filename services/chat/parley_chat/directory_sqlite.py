"""SQLite adapter of the directory port: the embedded default."""

from datetime import datetime
from pathlib import Path

from parley_contracts.chat import Channel, ChannelType, Member, Workspace, WorkspaceRole
from parley_storage.sqlite import Database, IntegrityError, advance_counter

from .directory import NameTaken, existing

SCHEMA = """
CREATE TABLE IF NOT EXISTS id_blocks (name TEXT PRIMARY KEY, last INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS workspaces (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, description TEXT, owner_id INTEGER NOT NULL,
    assistant_enabled INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS members (
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id), user_id INTEGER NOT NULL, role TEXT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX IF NOT EXISTS members_by_user ON members (user_id);
CREATE TABLE IF NOT EXISTS channels (
    id INTEGER PRIMARY KEY, workspace_id INTEGER REFERENCES workspaces(id), name TEXT NOT NULL,
    name_lower TEXT NOT NULL, type TEXT NOT NULL, user_low INTEGER, user_high INTEGER, created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS channel_names ON channels (workspace_id, name_lower) WHERE workspace_id IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS direct_pairs ON channels (user_low, user_high) WHERE type = 'dm';
"""
WORKSPACE = "id, name, description, owner_id, assistant_enabled, created_at"
CHANNEL = "id, workspace_id, name, type, user_low, user_high, created_at"


def _workspace(row) -> Workspace:
    return Workspace(
        id=row[0], name=row[1], description=row[2], owner_id=row[3], assistant_enabled=bool(row[4]),
        created_at=datetime.fromisoformat(row[5]),
    )  # fmt: skip


def _channel(row) -> Channel:
    return Channel(
        id=row[0], workspace_id=row[1], name=row[2], type=ChannelType(row[3]),
        member_ids=[row[4], row[5]] if row[3] == ChannelType.DM else None, created_at=datetime.fromisoformat(row[6]),
    )  # fmt: skip


class SqliteDirectory:
    def __init__(self, db: Database):
        self._db = db

    @classmethod
    async def open(cls, path: Path | str) -> "SqliteDirectory":
        return cls(await Database.open(path, SCHEMA))

    async def reserve_ids(self, count: int) -> int:
        return await advance_counter(self._db, "id_blocks", "ids", count)

    async def create_workspace(self, name: str, description: str | None, owner_id: int, now: datetime) -> Workspace:
        workspace_id = await self.reserve_ids(1)
        async with self._db.transaction() as tx:
            await tx.execute(f"INSERT INTO workspaces ({WORKSPACE}) VALUES (?, ?, ?, ?, 1, ?)",
                             (workspace_id, name, description, owner_id, now.isoformat()))  # fmt: skip
            await tx.execute("INSERT INTO members (workspace_id, user_id, role) VALUES (?, ?, ?)",
                             (workspace_id, owner_id, WorkspaceRole.OWNER.value))  # fmt: skip
        return existing(await self.workspace(workspace_id))

    async def workspace(self, workspace_id: int) -> Workspace | None:
        row = await self._db.one(f"SELECT {WORKSPACE} FROM workspaces WHERE id = ?", (workspace_id,))
        return _workspace(row) if row else None

    async def workspaces_of(self, user_id: int) -> list[Workspace]:
        rows = await self._db.all(
            f"SELECT {', '.join('w.' + c for c in WORKSPACE.split(', '))} FROM workspaces w"
            " JOIN members m ON m.workspace_id = w.id WHERE m.user_id = ? ORDER BY w.id",
            (user_id,),
        )
        return [_workspace(row) for row in rows]

    async def set_assistant_enabled(self, workspace_id: int, enabled: bool) -> Workspace:
        await self._db.execute("UPDATE workspaces SET assistant_enabled = ? WHERE id = ?", (int(enabled), workspace_id))
        return existing(await self.workspace(workspace_id))

    async def role_of(self, workspace_id: int, user_id: int) -> WorkspaceRole | None:
        row = await self._db.one(
            "SELECT role FROM members WHERE workspace_id = ? AND user_id = ?", (workspace_id, user_id)
        )
        return WorkspaceRole(row[0]) if row else None

    async def members(self, workspace_id: int) -> list[Member]:
        rows = await self._db.all(
            "SELECT user_id, role FROM members WHERE workspace_id = ? ORDER BY user_id", (workspace_id,)
        )
        return [Member(user_id=user_id, role=WorkspaceRole(role)) for user_id, role in rows]

    async def add_member(self, workspace_id: int, user_id: int, role: WorkspaceRole) -> Member:
        await self._db.execute(
            "INSERT INTO members (workspace_id, user_id, role) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (workspace_id, user_id, role.value),
        )
        return Member(user_id=user_id, role=existing(await self.role_of(workspace_id, user_id)))

    async def remove_member(self, workspace_id: int, user_id: int) -> bool:
        row = await self._db.one(
            "DELETE FROM members WHERE workspace_id = ? AND user_id = ? RETURNING user_id", (workspace_id, user_id)
        )
        return row is not None

    async def create_channel(self, workspace_id: int, name: str, type: ChannelType, now: datetime) -> Channel:
        channel_id = await self.reserve_ids(1)
        try:
            await self._db.execute(
                "INSERT INTO channels (id, workspace_id, name, name_lower, type, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (channel_id, workspace_id, name, name.lower(), type.value, now.isoformat()),
            )
        except IntegrityError as exc:
            raise NameTaken from exc
        return existing(await self.channel(channel_id))

    async def channel(self, channel_id: int) -> Channel | None:
        row = await self._db.one(f"SELECT {CHANNEL} FROM channels WHERE id = ?", (channel_id,))
        return _channel(row) if row else None

    async def channels_of(self, workspace_id: int) -> list[Channel]:
        rows = await self._db.all(f"SELECT {CHANNEL} FROM channels WHERE workspace_id = ? ORDER BY id", (workspace_id,))
        return [_channel(row) for row in rows]

    async def open_direct(self, user_a: int, user_b: int, now: datetime) -> Channel:
        low, high = sorted((user_a, user_b))
        channel_id = await self.reserve_ids(1)
        await self._db.execute(
            "INSERT INTO channels (id, workspace_id, name, name_lower, type, user_low, user_high, created_at)"
            " VALUES (?, NULL, ?, ?, 'dm', ?, ?, ?) ON CONFLICT DO NOTHING",
            (channel_id, f"dm-{low}-{high}", f"dm-{low}-{high}", low, high, now.isoformat()),
        )
        row = await self._db.one(f"SELECT {CHANNEL} FROM channels WHERE type = 'dm' AND user_low = ? AND user_high = ?",
                              (low, high))  # fmt: skip
        return _channel(row)

    async def directs_of(self, user_id: int) -> list[Channel]:
        rows = await self._db.all(
            f"SELECT {CHANNEL} FROM channels WHERE type = 'dm' AND (user_low = ? OR user_high = ?) ORDER BY id",
            (user_id, user_id),
        )
        return [_channel(row) for row in rows]

    async def ping(self) -> bool:
        return await self._db.one("SELECT 1") == (1,)

    async def close(self) -> None:
        await self._db.close()
