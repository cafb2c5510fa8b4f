"""The edge's live parts, made once at start-up: bus, channel and conversation feeds,
presence board, the sessions kept (`http.sessions`) and the socket registry; and what
happens to sockets when a session ends or the edge stops."""

import asyncio
import contextlib
import uuid
from dataclasses import dataclass

from parley_contracts import auth, chat, dm, subjects
from parley_runtime.bus import Bus
from parley_runtime.lifecycle import connect_bus

from .fanout.channels import CHANNELS
from .fanout.conversations import CONVERSATIONS
from .fanout.feeds import Feeds
from .fanout.presence import PresenceBoard
from .http.sessions import Sessions
from .settings import EdgeSettings
from .sockets.connection import CLOSE_GOING_AWAY, CLOSE_POLICY
from .sockets.registry import Registry


@dataclass
class EdgeState:
    settings: EdgeSettings
    bus: Bus
    channels: Feeds[chat.ChannelEvent]
    """Channel feeds, by channel id, for `/ws/chat` sockets."""
    conversations: Feeds[dm.ConversationEvent]
    """DM conversation feeds, by user id, for `/messagepal` sockets."""
    presence: PresenceBoard
    sessions: Sessions
    registry: Registry
    background: list[asyncio.Task]

    @classmethod
    async def start(cls, settings: EdgeSettings) -> "EdgeState":
        bus = await connect_bus("edge", settings)  # waits for NATS as every service does
        presence = await PresenceBoard.open(
            bus.js,
            settings.presence_bucket,
            f"edge-{uuid.uuid4().hex[:12]}",
            settings.presence_ttl_s,
            settings.nats_replicas,
        )
        sessions = Sessions(bus, settings.session_secret, settings.session_cache_s)
        channels, conversations = Feeds(bus, CHANNELS), Feeds(bus, CONVERSATIONS)
        state = cls(settings, bus, channels, conversations, presence, sessions, Registry(), [])
        state.background.append(asyncio.create_task(presence.refresh_forever()))
        await bus.subscribe(subjects.AUTH_SESSION_ENDED.subject(), auth.SessionEnded, state._on_session_ended)
        return state

    async def _on_session_ended(self, event: auth.SessionEnded, _msg) -> None:
        self.sessions.forget(event.session_key)
        for connection in self.registry.of_session(event.session_key):
            await connection.close(CLOSE_POLICY, "session ended")

    async def close_sockets(self) -> None:
        """Tell every client to reconnect elsewhere (1001) before the edge goes away."""
        await asyncio.gather(*(c.close(CLOSE_GOING_AWAY, "edge shutting down") for c in self.registry.all()))

    async def stop(self) -> None:
        await self.close_sockets()
        for task in self.background:
            task.cancel()
        with contextlib.suppress(Exception):
            await self.presence.forget_all()
        await self.bus.drain()
