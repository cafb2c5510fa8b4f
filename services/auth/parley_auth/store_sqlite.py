"""SQLite adapter of the auth store: the embedded default."""

from datetime import datetime
from pathlib import Path

from parley_storage.sqlite import Database, IntegrityError

from .store import EmailTaken, NewUser, SessionRecord, UsernameTaken, UserRecord

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL,
    username_lower TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    email TEXT,
    email_lower TEXT UNIQUE,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    key TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
"""
USER_COLUMNS = "id, username, name, email, role, password_hash, created_at"


def _user(row) -> UserRecord:
    return UserRecord(
        id=row[0], username=row[1], name=row[2], email=row[3], role=row[4], password_hash=row[5],
        created_at=datetime.fromisoformat(row[6]),
    )  # fmt: skip


def _session(row) -> SessionRecord:
    return SessionRecord(
        key=row[0], user_id=row[1], created_at=datetime.fromisoformat(row[2]),
        last_seen_at=datetime.fromisoformat(row[3]), expires_at=datetime.fromisoformat(row[4]),
    )  # fmt: skip


class SqliteAuthStore:
    def __init__(self, db: Database):
        self._db = db

    @classmethod
    async def open(cls, path: Path | str) -> "SqliteAuthStore":
        return cls(await Database.open(path, SCHEMA))

    async def create_user(self, user: NewUser) -> UserRecord:
        try:
            row = await self._db.first(
                "INSERT INTO users (username, username_lower, name, email, email_lower, role, password_hash,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (user.username, user.username.lower(), user.name, user.email,
                 user.email.lower() if user.email else None, user.role, user.password_hash,
                 user.created_at.isoformat()),
            )  # fmt: skip
        except IntegrityError as exc:
            if "email_lower" in str(exc):
                raise EmailTaken from exc
            raise UsernameTaken from exc
        return UserRecord(id=row[0], **user.__dict__)

    async def user_by_id(self, user_id: int) -> UserRecord | None:
        row = await self._db.one(f"SELECT {USER_COLUMNS} FROM users WHERE id = ?", (user_id,))
        return _user(row) if row else None

    async def users_by_ids(self, user_ids: list[int]) -> list[UserRecord]:
        if not user_ids:
            return []
        marks = ",".join("?" * len(user_ids))
        rows = await self._db.all(f"SELECT {USER_COLUMNS} FROM users WHERE id IN ({marks})", tuple(user_ids))
        found = {row[0]: _user(row) for row in rows}
        return [found[i] for i in dict.fromkeys(user_ids) if i in found]

    async def user_by_username(self, username: str) -> UserRecord | None:
        query = f"SELECT {USER_COLUMNS} FROM users WHERE username_lower = ?"
        row = await self._db.one(query, (username.lower(),))
        return _user(row) if row else None

    async def users_by_usernames(self, usernames: list[str]) -> list[UserRecord]:
        lowered = tuple({name.lower() for name in usernames})
        if not lowered:
            return []
        marks = ",".join("?" * len(lowered))
        rows = await self._db.all(f"SELECT {USER_COLUMNS} FROM users WHERE username_lower IN ({marks})", lowered)
        return [_user(row) for row in rows]

    async def set_password_hash(self, user_id: int, password_hash: str) -> None:
        await self._db.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))

    async def create_session(self, session: SessionRecord) -> None:
        await self._db.execute(
            "INSERT INTO sessions (key, user_id, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            (session.key, session.user_id, session.created_at.isoformat(), session.last_seen_at.isoformat(),
             session.expires_at.isoformat()),
        )  # fmt: skip

    async def session(self, key: str) -> SessionRecord | None:
        query = "SELECT key, user_id, created_at, last_seen_at, expires_at FROM sessions WHERE key = ?"
        row = await self._db.one(query, (key,))
        return _session(row) if row else None

    async def touch_session(self, key: str, last_seen_at: datetime) -> None:
        await self._db.execute("UPDATE sessions SET last_seen_at = ? WHERE key = ?", (last_seen_at.isoformat(), key))

    async def delete_session(self, key: str) -> SessionRecord | None:
        query = "DELETE FROM sessions WHERE key = ? RETURNING key, user_id, created_at, last_seen_at, expires_at"
        row = await self._db.one(query, (key,))
        return _session(row) if row else None

    async def ping(self) -> bool:
        return await self._db.one("SELECT 1") == (1,)

    async def close(self) -> None:
        await self._db.close()
