"""MongoDB adapter of the auth store (motor): production. Works on FerretDB too.

Uniqueness rests on unique indexes: usernames by their lower-case form, e-mails
through a reservation collection keyed by the lower-case address (a unique index on
an optional field would treat every missing e-mail as the same value).
"""

from datetime import datetime

import pymongo
from motor.motor_asyncio import AsyncIOMotorDatabase
from pymongo.errors import DuplicateKeyError, OperationFailure

from parley_storage.mongo import advance_counter, ensure_counter_index

from .store import EmailTaken, NewUser, SessionRecord, UsernameTaken, UserRecord


def _user(doc: dict) -> UserRecord:
    return UserRecord(
        id=doc["_id"], username=doc["username"], name=doc["name"], email=doc.get("email"), role=doc["role"],
        password_hash=doc["password_hash"], created_at=doc["created_at"],
    )  # fmt: skip


def _session(doc: dict) -> SessionRecord:
    return SessionRecord(
        key=doc["_id"], user_id=doc["user_id"], created_at=doc["created_at"], last_seen_at=doc["last_seen_at"],
        expires_at=doc["expires_at"],
    )  # fmt: skip


class MongoAuthStore:
    def __init__(self, db: AsyncIOMotorDatabase):
        self._db = db
        self._users = db["users"]
        self._emails = db["user_emails"]
        self._sessions = db["sessions"]
        self._counters = db["id_blocks"]

    @classmethod
    async def open(cls, db: AsyncIOMotorDatabase) -> "MongoAuthStore":
        store = cls(db)
        await ensure_counter_index(store._counters)
        await store._users.create_index([("username_lower", pymongo.ASCENDING)], unique=True)
        try:
            await store._sessions.create_index([("expires_at", pymongo.ASCENDING)], expireAfterSeconds=0)
        except OperationFailure:
            pass  # no TTL support on this server: expiry is enforced on read anyway
        return store

    async def create_user(self, user: NewUser) -> UserRecord:
        user_id = await advance_counter(self._counters, "users")
        email_key = user.email.lower() if user.email else None
        if email_key:
            try:
                await self._emails.insert_one({"_id": email_key, "user_id": user_id})
            except DuplicateKeyError as exc:
                raise EmailTaken from exc
        try:
            await self._users.insert_one(
                {"_id": user_id, "username": user.username, "username_lower": user.username.lower(),
                 "name": user.name, "email": user.email, "role": user.role, "password_hash": user.password_hash,
                 "created_at": user.created_at}
            )  # fmt: skip
        except DuplicateKeyError as exc:
            if email_key:
                await self._emails.delete_one({"_id": email_key, "user_id": user_id})
            raise UsernameTaken from exc
        return UserRecord(id=user_id, **user.__dict__)

    async def user_by_id(self, user_id: int) -> UserRecord | None:
        doc = await self._users.find_one({"_id": user_id})
        return _user(doc) if doc else None

    async def users_by_ids(self, user_ids: list[int]) -> list[UserRecord]:
        found = {doc["_id"]: _user(doc) async for doc in self._users.find({"_id": {"$in": list(user_ids)}})}
        return [found[i] for i in dict.fromkeys(user_ids) if i in found]

    async def user_by_username(self, username: str) -> UserRecord | None:
        doc = await self._users.find_one({"username_lower": username.lower()})
        return _user(doc) if doc else None

    async def users_by_usernames(self, usernames: list[str]) -> list[UserRecord]:
        lowered = list({name.lower() for name in usernames})
        return [_user(doc) async for doc in self._users.find({"username_lower": {"$in": lowered}})]

    async def set_password_hash(self, user_id: int, password_hash: str) -> None:
        await self._users.update_one({"_id": user_id}, {"$set": {"password_hash": password_hash}})

    async def create_session(self, session: SessionRecord) -> None:
        await self._sessions.insert_one(
            {"_id": session.key, "user_id": session.user_id, "created_at": session.created_at,
             "last_seen_at": session.last_seen_at, "expires_at": session.expires_at}
        )  # fmt: skip

    async def session(self, key: str) -> SessionRecord | None:
        doc = await self._sessions.find_one({"_id": key})
        return _session(doc) if doc else None

    async def touch_session(self, key: str, last_seen_at: datetime) -> None:
        await self._sessions.update_one({"_id": key}, {"$set": {"last_seen_at": last_seen_at}})

    async def delete_session(self, key: str) -> SessionRecord | None:
        doc = await self._sessions.find_one_and_delete({"_id": key})
        return _session(doc) if doc else None

    async def ping(self) -> bool:
        return (await self._db.command("ping")).get("ok") == 1

    async def close(self) -> None:
        self._db.client.close()
