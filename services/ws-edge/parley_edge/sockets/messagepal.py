"""`/messagepal`: the envelope frames `{type, payload, timestamp}` of the seed
(the chat of PersonalLearningPro, which Parley stays compatible with) for direct
messages, turned into DM commands and per-user fan-out."""

from parley_contracts import dm, messagepal_frames, signals, subjects
from parley_runtime.errors import ParleyError

from ..fanout.feed import outdated
from . import frames
from .dialect import SocketDialect


class MessagePalDialect(SocketDialect):
    client_frames = messagepal_frames.messagepal_client_frame
    metric_prefix = "messagepal."

    async def opened(self) -> None:
        await self.state.conversations.attach(self.connection, self.connection.user_id)
        user = self.connection.user
        payload = messagepal_frames.ConnectedPayload(
            user_id=user.id, username=user.username, role=user.role, server_time=frames.now_ms()
        )
        self.connection.push(frames.encode(messagepal_frames.Connected(payload=payload, timestamp=frames.now_ms())))

    def error_frame(self, error: ParleyError, context: dict) -> bytes:
        return frames.envelope_error(error, **context)

    def context_of(self, frame: messagepal_frames.MessagePalClientFrame) -> dict:
        if isinstance(frame, messagepal_frames.SendMessage):
            return {"client_msg_id": frame.payload.client_msg_id}
        return {}

    def stream_of(self, frame: messagepal_frames.MessagePalClientFrame) -> object | None:
        """The conversation: named, or the one with the recipient."""
        payload = getattr(frame, "payload", None)
        if (conversation_id := getattr(payload, "conversation_id", None)) is not None:
            return conversation_id
        if (recipient_id := getattr(payload, "recipient_id", None)) is not None:
            return dm.conversation_id(self.connection.user_id, recipient_id)
        return None

    def _reply(self, frame) -> None:
        self.connection.push(frames.encode(frame))

    async def _on_send_message(self, frame: messagepal_frames.SendMessage) -> None:
        payload = frame.payload
        self.limit(self.send_limit, "sends")
        command = dm.SendDirectMessage(
            actor_id=self.connection.user_id, recipient_id=payload.recipient_id, content=payload.content,
            client_msg_id=payload.client_msg_id,
        )  # fmt: skip
        accepted = await self.send(subjects.DM_SEND, command)
        if accepted.duplicate:
            # A retried send: fan-out will not bring the original again, so acknowledge it here.
            self._reply(messagepal_frames.MessageReceived(payload=accepted.message, timestamp=frames.now_ms()))

    async def _on_typing(self, frame: messagepal_frames.Typing) -> None:
        payload = frame.payload
        self.limit(self.typing_limit, "typing signals")
        user = self.connection.user
        signal = signals.DirectTyping(user_id=user.id, username=user.username, recipient_id=payload.recipient_id,
                                      typing=True)  # fmt: skip
        await self.state.bus.publish(subjects.DM_TYPING, signal, user_id=payload.recipient_id)

    async def _on_mark_read(self, frame: messagepal_frames.MarkRead) -> None:
        payload = frame.payload
        command = dm.MarkDirectRead(actor_id=self.connection.user_id, message_id=payload.message_id)
        await self.state.bus.request(subjects.DM_MARK_READ, command)

    async def _on_edit_message(self, frame: messagepal_frames.EditMessage) -> None:
        payload = frame.payload
        command = dm.EditDirectMessage(
            actor_id=self.connection.user_id, message_id=payload.message_id, content=payload.content
        )
        await self.state.bus.request(subjects.DM_EDIT_MESSAGE, command)

    async def _on_delete_message(self, frame: messagepal_frames.DeleteMessage) -> None:
        command = dm.DeleteDirectMessage(actor_id=self.connection.user_id, message_id=frame.payload.message_id)
        await self.state.bus.request(subjects.DM_DELETE_MESSAGE, command)

    async def _on_fetch_history(self, frame: messagepal_frames.FetchHistory) -> None:
        payload = frame.payload
        command = dm.GetDirectHistory(
            actor_id=self.connection.user_id, conversation_id=payload.conversation_id, before=payload.before,
            limit=payload.limit,
        )  # fmt: skip
        found = await self.state.bus.request(subjects.DM_HISTORY, command)
        response = messagepal_frames.HistoryResponsePayload(
            conversation_id=found.conversation_id, messages=found.messages
        )
        self._reply(messagepal_frames.HistoryResponse(payload=response, timestamp=frames.now_ms()))

    async def _on_subscribe(self, frame: messagepal_frames.Subscribe) -> None:
        payload = frame.payload
        conversation_id = payload.conversation_id
        self.limit(self.join_limit, "subscriptions")
        command = dm.AuthorizeConversation(actor_id=self.connection.user_id, conversation_id=conversation_id)
        authorized = await self.state.bus.request(subjects.DM_AUTHORIZE, command)
        head, epoch = authorized.last_seq, authorized.epoch
        subscribed = messagepal_frames.SubscribedPayload(conversation_id=conversation_id, last_seq=head, epoch=epoch)
        self._reply(messagepal_frames.Subscribed(payload=subscribed, timestamp=frames.now_ms()))
        feed = self.state.conversations.get(self.connection.user_id)
        if feed is None:
            return  # the socket is closing: it left its feed
        feed.follow(conversation_id, head)
        if outdated(payload.epoch, payload.last_seq, epoch, head):
            reload = messagepal_frames.ReloadPayload(conversation_id=conversation_id, last_seq=head, epoch=epoch)
            self._reply(messagepal_frames.Reload(payload=reload, timestamp=frames.now_ms()))
        elif payload.last_seq is not None and payload.last_seq < authorized.last_seq:
            await feed.replay(self.connection, conversation_id, payload.last_seq, authorized.last_seq)

    async def _on_unsubscribe(self, frame: messagepal_frames.Unsubscribe) -> None:
        payload = frame.payload
        command = dm.AuthorizeConversation(actor_id=self.connection.user_id, conversation_id=payload.conversation_id)
        await self.state.bus.request(subjects.DM_AUTHORIZE, command)
        done = messagepal_frames.UnsubscribedPayload(conversation_id=payload.conversation_id)
        self._reply(messagepal_frames.Unsubscribed(payload=done, timestamp=frames.now_ms()))

    async def closed(self) -> None:
        await self.state.conversations.leave(self.connection, self.connection.user_id)


MessagePalDialect.handlers = {
    messagepal_frames.SendMessage: MessagePalDialect._on_send_message,
    messagepal_frames.Typing: MessagePalDialect._on_typing,
    messagepal_frames.MarkRead: MessagePalDialect._on_mark_read,
    messagepal_frames.FetchHistory: MessagePalDialect._on_fetch_history,
    messagepal_frames.Subscribe: MessagePalDialect._on_subscribe,
    messagepal_frames.Unsubscribe: MessagePalDialect._on_unsubscribe,
    messagepal_frames.EditMessage: MessagePalDialect._on_edit_message,
    messagepal_frames.DeleteMessage: MessagePalDialect._on_delete_message,
}
