"""`/ws/chat`: the flat frames of the seed (the chat of PersonalLearningPro, which
Parley stays compatible with), turned into chat commands and channel fan-out."""

from typing import cast

from parley_contracts import chat, chat_frames, signals, subjects
from parley_contracts.errors import ErrorCode
from parley_runtime.errors import ParleyError
from parley_runtime.users import ids_by_username

from ..fanout.feed import outdated
from ..fanout.unread import tell_reader
from . import frames
from .dialect import SocketDialect, log
from .message_changes import COMMANDS as CHANGE_COMMANDS
from .message_changes import on_change


class ChatDialect(SocketDialect):
    client_frames = chat_frames.chat_client_frame

    async def opened(self) -> None:
        user = self.connection.user
        self.connection.push(frames.encode(chat_frames.Connected(user_id=user.id, username=user.username)))

    def error_frame(self, error: ParleyError, context: dict) -> bytes:
        return frames.error_frame(error, **context)

    def context_of(self, frame: chat_frames.ChatClientFrame) -> dict:
        context: dict[str, object] = {"channel_id": frame.channel_id}  # None for a change naming only its message
        if isinstance(frame, chat_frames.SendMessage):
            context["client_msg_id"] = frame.client_msg_id
        return context

    def _require_joined(self, channel_id: int) -> None:
        if self.state.channels.joined_at(self.connection, channel_id) is None:
            raise ParleyError(ErrorCode.FORBIDDEN, "join the channel first")

    def _other_local_socket(self, channel_id: int) -> bool:
        """Does this user have another socket in the channel on this edge?"""
        return any(
            self.state.channels.joined_at(other, channel_id) is not None
            for other in self.state.registry.of_user(self.connection.user_id)
            if other is not self.connection
        )

    async def _on_join_channel(self, frame: chat_frames.JoinChannel) -> None:
        self.limit(self.join_limit, "joins")
        user = self.connection.user
        command = chat.AuthorizeJoin(actor_id=user.id, channel_id=frame.channel_id)
        authorized = await self.state.bus.request(subjects.CHAT_AUTHORIZE_JOIN, command)
        rejoin = self.state.channels.joined_at(self.connection, frame.channel_id) is not None
        announce = False
        if not rejoin and not self._other_local_socket(frame.channel_id):
            announce = await self._presence(self.state.presence.arrive(frame.channel_id, user.id, user.username))
        online = self.state.presence.online(frame.channel_id)
        head, epoch = authorized.last_seq, authorized.epoch
        joined = chat_frames.JoinedChannel(channel_id=frame.channel_id, online=online, last_seq=head, epoch=epoch)
        self.connection.push(frames.encode(joined))
        # Without a position, the socket takes every event after the head it was told;
        # one the feed delivered before the socket was in it comes by replay.
        resume_from = head if frame.last_seq is None else frame.last_seq
        if outdated(frame.epoch, frame.last_seq, epoch, head):
            reload = chat_frames.Reload(channel_id=frame.channel_id, last_seq=head, epoch=epoch)
            self.connection.push(frames.encode(reload))
            resume_from = head
        await self.state.channels.join(self.connection, frame.channel_id, frame.channel_id, head, resume_from)
        if announce:
            await self._announce(frame.channel_id, signals.PresenceStatus.ONLINE)

    async def _on_leave_channel(self, frame: chat_frames.LeaveChannel) -> None:
        if not await self._leave(frame.channel_id):
            raise ParleyError(ErrorCode.NOT_FOUND, "not in that channel")
        self.connection.push(frames.encode(chat_frames.LeftChannel(channel_id=frame.channel_id)))

    async def _leave(self, channel_id: int) -> bool:
        if not await self.state.channels.leave(self.connection, channel_id):
            return False
        if not self._other_local_socket(channel_id):
            if await self._presence(self.state.presence.depart(channel_id, self.connection.user_id)):
                await self._announce(channel_id, signals.PresenceStatus.OFFLINE)
        return True

    async def _presence(self, change) -> bool:
        """Presence is best effort: a NATS hiccup must not cost the user their socket."""
        try:
            return await change
        except Exception:
            log.warning("presence_update_failed", connection=self.connection.id)
            return False

    async def _announce(self, channel_id: int, status: signals.PresenceStatus) -> None:
        user = self.connection.user
        signal = signals.PresenceChanged(channel_id=channel_id, user_id=user.id, username=user.username, status=status)
        await self.state.bus.publish(subjects.CHAT_PRESENCE, signal, channel_id=channel_id)

    async def _on_send_message(self, frame: chat_frames.SendMessage) -> None:
        self._require_joined(frame.channel_id)
        self.limit(self.send_limit, "sends")
        draft = frame.model_copy(update={"mentions": await self._mentioned_ids(frame.mentions)})
        command = chat.PostMessage.from_draft(self.connection.user_id, draft)
        accepted = await self.send(subjects.CHAT_POST_MESSAGE, command)
        joined_at = self.state.channels.joined_at(self.connection, frame.channel_id)
        if accepted.duplicate and joined_at is not None and accepted.message.seq <= joined_at:
            # A retried send whose original this socket never saw: acknowledge it here,
            # since fan-out will not bring it again.
            new = chat_frames.NewMessage(
                channel_id=frame.channel_id, message=accepted.message, seq=accepted.message.seq
            )
            self.connection.push(frames.encode(new))

    async def _mentioned_ids(self, mentions: list[int | str]) -> list[int]:
        """Mentions as user ids: usernames resolved, those naming nobody dropped."""
        names = [mention for mention in mentions if isinstance(mention, str)]
        ids = await ids_by_username(self.state.bus, names) if names else {}
        resolved = (mention if isinstance(mention, int) else ids.get(mention.lower()) for mention in mentions)
        return [user_id for user_id in resolved if user_id is not None]

    async def _on_typing(self, frame: chat_frames.Typing) -> None:
        await self._signal_typing(frame.channel_id, typing=True)

    async def _on_stop_typing(self, frame: chat_frames.StopTyping) -> None:
        await self._signal_typing(frame.channel_id, typing=False)

    async def _signal_typing(self, channel_id: int, typing: bool) -> None:
        self._require_joined(channel_id)
        self.limit(self.typing_limit, "typing signals")
        user = self.connection.user
        signal = signals.ChannelTyping(channel_id=channel_id, user_id=user.id, username=user.username, typing=typing)
        await self.state.bus.publish(subjects.CHAT_TYPING, signal, channel_id=channel_id)

    async def _on_mark_read(self, frame: chat_frames.MarkRead) -> None:
        command = chat.MarkRead(
            actor_id=self.connection.user_id, channel_id=frame.channel_id, message_id=frame.message_id
        )
        marked = await self.state.bus.request(subjects.CHAT_MARK_READ, command)
        tell_reader(self.state.channels, self.connection.user_id, frame.channel_id, marked)

    async def closed(self) -> None:
        for channel_id in self.state.channels.keys_of(self.connection):
            await self._leave(cast(int, channel_id))  # channel feeds are keyed by channel id


ChatDialect.handlers = {
    chat_frames.JoinChannel: ChatDialect._on_join_channel,
    chat_frames.LeaveChannel: ChatDialect._on_leave_channel,
    chat_frames.SendMessage: ChatDialect._on_send_message,
    chat_frames.Typing: ChatDialect._on_typing,
    chat_frames.StopTyping: ChatDialect._on_stop_typing,
    chat_frames.MarkRead: ChatDialect._on_mark_read,
    **dict.fromkeys(CHANGE_COMMANDS, on_change),
}
