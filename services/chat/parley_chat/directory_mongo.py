"""MongoDB adapter of the directory port (motor): production. Works on FerretDB too.

Channel names are unique per workspace through a unique index on
`(workspace_id, name_lower)`; a DM channel's `name_lower` is its pair, so the same
index also makes each pair's DM unique.
"""

from datetime import datetime

import pymongo
from motor.motor_asyncio import AsyncIOMotorDatabase
from pymongo.errors import DuplicateKeyError

from parley_contracts.chat import Channel, ChannelType, Member, Workspace, WorkspaceRole
from parley_storage.mongo import advance_counter, ensure_counter_index

from .directory import NameTaken, existing

DM_WORKSPACE = 0
"""DM channels belong to no workspace; 0 stands in for it in the unique index."""


def _workspace(doc: dict) -> Workspace:
    return Workspace(
        id=doc["_id"], name=doc["name"], description=doc.get("description"), owner_id=doc["owner_id"],
        assistant_enabled=doc["assistant_enabled"], created_at=doc["created_at"],
    )  # fmt: skip


def _channel(doc: dict) -> Channel:
    workspace_id = doc["workspace_id"] or None
    return Channel(
        id=doc["_id"], workspace_id=workspace_id, name=doc["name"], type=ChannelType(doc["type"]),
        member_ids=doc.get("member_ids"), created_at=doc["created_at"],
    )  # fmt: skip


class MongoDirectory:
    def __init__(self, db: AsyncIOMotorDatabase):
        self._db = db
        self._workspaces = db["workspaces"]
        self._members = db["members"]
        self._channels = db["channels"]
        self._counters = db["id_blocks"]

    @classmethod
    async def open(cls, db: AsyncIOMotorDatabase) -> "MongoDirectory":
        directory = cls(db)
        await ensure_counter_index(directory._counters)
        await directory._members.create_index([("user_id", pymongo.ASCENDING)])
        await directory._channels.create_index(
            [("workspace_id", pymongo.ASCENDING), ("name_lower", pymongo.ASCENDING)], unique=True
        )
        await directory._channels.create_index([("member_ids", pymongo.ASCENDING)])
        return directory

    async def reserve_ids(self, count: int) -> int:
        return await advance_counter(self._counters, "ids", count)

    async def create_workspace(self, name: str, description: str | None, owner_id: int, now: datetime) -> Workspace:
        workspace_id = await self.reserve_ids(1)
        # The membership first: a crash in between leaves a member of nothing, never an ownerless workspace.
        await self._members.insert_one(
            {"_id": f"{workspace_id}:{owner_id}", "workspace_id": workspace_id, "user_id": owner_id,
             "role": WorkspaceRole.OWNER.value}
        )  # fmt: skip
        doc = {"_id": workspace_id, "name": name, "description": description, "owner_id": owner_id,
               "assistant_enabled": True, "created_at": now}  # fmt: skip
        await self._workspaces.insert_one(doc)
        return _workspace(doc)

    async def workspace(self, workspace_id: int) -> Workspace | None:
        doc = await self._workspaces.find_one({"_id": workspace_id})
        return _workspace(doc) if doc else None

    async def workspaces_of(self, user_id: int) -> list[Workspace]:
        ids = [m["workspace_id"] async for m in self._members.find({"user_id": user_id})]
        cursor = self._workspaces.find({"_id": {"$in": ids}}).sort("_id", pymongo.ASCENDING)
        return [_workspace(doc) async for doc in cursor]

    async def set_assistant_enabled(self, workspace_id: int, enabled: bool) -> Workspace:
        await self._workspaces.update_one({"_id": workspace_id}, {"$set": {"assistant_enabled": enabled}})
        return existing(await self.workspace(workspace_id))

    async def role_of(self, workspace_id: int, user_id: int) -> WorkspaceRole | None:
        doc = await self._members.find_one({"_id": f"{workspace_id}:{user_id}"})
        return WorkspaceRole(doc["role"]) if doc else None

    async def members(self, workspace_id: int) -> list[Member]:
        cursor = self._members.find({"workspace_id": workspace_id}).sort("user_id", pymongo.ASCENDING)
        return [Member(user_id=doc["user_id"], role=WorkspaceRole(doc["role"])) async for doc in cursor]

    async def add_member(self, workspace_id: int, user_id: int, role: WorkspaceRole) -> Member:
        try:
            await self._members.insert_one(
                {"_id": f"{workspace_id}:{user_id}", "workspace_id": workspace_id, "user_id": user_id,
                 "role": role.value}
            )  # fmt: skip
        except DuplicateKeyError:
            pass  # already a member: keeps the role they have
        return Member(user_id=user_id, role=existing(await self.role_of(workspace_id, user_id)))

    async def remove_member(self, workspace_id: int, user_id: int) -> bool:
        result = await self._members.delete_one({"_id": f"{workspace_id}:{user_id}"})
        return result.deleted_count == 1

    async def create_channel(self, workspace_id: int, name: str, type: ChannelType, now: datetime) -> Channel:
        doc = {"_id": await self.reserve_ids(1), "workspace_id": workspace_id, "name": name,
               "name_lower": name.lower(), "type": type.value, "created_at": now}  # fmt: skip
        try:
            await self._channels.insert_one(doc)
        except DuplicateKeyError as exc:
            raise NameTaken from exc
        return _channel(doc)

    async def channel(self, channel_id: int) -> Channel | None:
        doc = await self._channels.find_one({"_id": channel_id})
        return _channel(doc) if doc else None

    async def channels_of(self, workspace_id: int) -> list[Channel]:
        cursor = self._channels.find({"workspace_id": workspace_id}).sort("_id", pymongo.ASCENDING)
        return [_channel(doc) async for doc in cursor]

    async def open_direct(self, user_a: int, user_b: int, now: datetime) -> Channel:
        low, high = sorted((user_a, user_b))
        pair = f"dm-{low}-{high}"
        doc = {"_id": await self.reserve_ids(1), "workspace_id": DM_WORKSPACE, "name": pair, "name_lower": pair,
               "type": ChannelType.DM.value, "member_ids": [low, high], "created_at": now}  # fmt: skip
        try:
            await self._channels.insert_one(doc)
        except DuplicateKeyError:
            doc = existing(await self._channels.find_one({"workspace_id": DM_WORKSPACE, "name_lower": pair}))
        return _channel(doc)

    async def directs_of(self, user_id: int) -> list[Channel]:
        cursor = self._channels.find({"type": ChannelType.DM.value, "member_ids": user_id}).sort("_id", 1)
        return [_channel(doc) async for doc in cursor]

    async def ping(self) -> bool:
        return (await self._db.command("ping")).get("ok") == 1

    async def close(self) -> None:
        self._db.client.close()
