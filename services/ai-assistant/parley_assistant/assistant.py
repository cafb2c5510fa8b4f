"""Answering one message: typing while it works, then exactly one reply, posted through
chat's post command as the assistant. The reply's `clientMsgId` is derived from the
question's id, so a redelivered question cannot produce a second reply."""

import asyncio
import contextlib
import time
from dataclasses import dataclass

import structlog
from nats.js.errors import KeyNotFoundError, NotFoundError

from parley_contracts import auth, chat, signals, subjects
from parley_runtime.bus import Bus
from parley_runtime.errors import ParleyError
from parley_runtime.failpoints import crash_at
from parley_runtime.rate_limit import TokenBucket

from .providers import Context, Provider, ProviderFailed
from .settings import AssistantSettings
from .triggers import Trigger

log = structlog.get_logger("parley.assistant")
FAILURE = "Sorry, I could not come up with an answer just now. Please try again in a moment."
ONLINE_READ_S = 2.0
"""Who is online is context, not the answer: a presence read still unfinished by then
answers with what it has. Not a KV watcher: nats-py's can put the marker that ends the
history it replays before the history itself (nats-io/nats.py#842), and so read an
empty channel."""


def reply_key(message: chat.ChannelMessage) -> str:
    return f"assistant-reply-{message.id}"


@dataclass
class Assistant:
    bus: Bus
    settings: AssistantSettings
    provider: Provider
    user: auth.User

    def __post_init__(self):
        self.trigger = Trigger([n.strip() for n in self.settings.names.split(",") if n.strip()])
        self._limits: dict[int, TokenBucket] = {}

    async def on_posted(self, event: chat.MessagePosted) -> None:
        """Handles one posted message; returns once it is answered or not to be answered."""
        message = event.message
        question = self.trigger.question(message, self.user.id)
        if question is None:
            return
        if self._limit(message.channel_id).take():
            log.info("assistant_rate_limited", channel_id=message.channel_id)
            return
        try:
            history = await self._ask(subjects.CHAT_HISTORY, chat.GetHistory(
                actor_id=self.user.id, channel_id=message.channel_id, before=message.seq + 1,
                limit=self.settings.context_messages,
            ))  # fmt: skip
        except ParleyError as exc:
            log.info("assistant_not_here", channel_id=message.channel_id, code=exc.code.value)
            return  # the workspace turned the assistant off, or the channel is gone
        await self._typing(message.channel_id, True)
        crash_at("after_typing", self.settings.failpoint)
        answer = await self._answer(question, history.messages, message.channel_id)
        await self._ask(subjects.CHAT_POST_MESSAGE, chat.PostMessage(
            actor_id=self.user.id, channel_id=message.channel_id, content=answer[:4000],
            client_msg_id=reply_key(message), reply_to=message.id,
        ))  # fmt: skip
        crash_at("after_reply", self.settings.failpoint)
        await self._typing(message.channel_id, False)

    async def _answer(self, question: str, messages: list[chat.ChannelMessage], channel_id: int) -> str:
        context = Context(
            messages=messages, usernames=await self._usernames(messages), online=await self._online(channel_id),
            assistant_id=self.user.id,
        )  # fmt: skip
        try:
            answer = await asyncio.wait_for(self.provider.answer(question, context), self.settings.provider_timeout_s)
        except (ProviderFailed, TimeoutError) as exc:
            log.warning("assistant_provider_failed", channel_id=channel_id, reason=str(exc) or "timeout")
            return FAILURE
        return answer or FAILURE

    async def _ask(self, command: subjects.Command, payload):
        return await self.bus.request(command, payload)

    async def _typing(self, channel_id: int, typing: bool) -> None:
        signal_ = signals.ChannelTyping(
            channel_id=channel_id, user_id=self.user.id, username=self.user.username, typing=typing
        )
        await self.bus.publish(subjects.CHAT_TYPING, signal_, channel_id=channel_id)

    async def _usernames(self, messages: list[chat.ChannelMessage]) -> dict[int, str]:
        ids = sorted({m.author_id for m in messages})
        found = await self._ask(subjects.AUTH_GET_USERS, auth.GetUsers(ids=ids)) if ids else auth.UserList(users=[])
        return {user.id: user.username for user in found.users}

    async def _online(self, channel_id: int) -> list[str]:
        """Read from the edges' presence bucket: its stream names the channel's keys, then
        each key's latest entry is read. Empty when no edge has made the bucket yet."""
        bucket = self.settings.presence_bucket
        try:
            kv = await self.bus.js.key_value(bucket)
            info = await self.bus.js.stream_info(
                f"KV_{bucket}", subjects_filter=f"$KV.{bucket}.{signals.PresenceKey.pattern(channel_id)}"
            )
        except NotFoundError:
            return []
        keys = [subject.removeprefix(f"$KV.{bucket}.") for subject in info.state.subjects or {}]
        others = [key for key in keys if signals.PresenceKey.parse(key).user_id != self.user.id]
        names = set()
        try:
            async with asyncio.timeout(ONLINE_READ_S):
                for key in others:
                    with contextlib.suppress(KeyNotFoundError):  # left since the stream was asked
                        entry = await kv.get(key)
                        if entry.value:
                            names.add(signals.PresenceEntry.model_validate_json(entry.value).username)
        except TimeoutError:
            log.warning("presence_read_incomplete", channel_id=channel_id)
        return sorted(names)

    def _limit(self, channel_id: int) -> TokenBucket:
        if channel_id not in self._limits:
            self._limits[channel_id] = TokenBucket(self.settings.replies_per_minute, 60.0, time.monotonic)
        return self._limits[channel_id]
