"""`/messagepal`: the envelope frames `{type, payload, timestamp}` of the seed
(PersonalLearningPro's chat protocol, which Parley stays compatible with) for direct
messages, turned into DM commands and per-user fan-out."""

from pydantic import ValidationError

from parley_contracts import dm, messagepal_frames, signals, subjects
from parley_runtime.errors import ParleyError

from . import frames, metrics
from .socket_loop import SocketProtocol


class MessagePalProtocol(SocketProtocol):
    async def opened(self) -> None:
        await self.state.users.attach(self.connection)
        user = self.connection.user
        payload = messagepal_frames.ConnectedPayload(
            user_id=user.id, username=user.username, role=user.role, server_time=frames.now_ms()
        )
        self.connection.push(frames.encode(messagepal_frames.Connected(payload=payload, timestamp=frames.now_ms())))

    def error_frame(self, error: ParleyError, context: dict) -> bytes:
        return frames.envelope_error(error, **context)

    async def handle(self, text: str) -> None:
        try:
            frame = messagepal_frames.messagepal_client_frame.validate_json(text)
        except ValidationError as exc:
            await self.refuse(frames.refusal(exc), {})
            return
        metrics.FRAMES_IN.labels(f"messagepal.{frame.type}").inc()
        context = {}
        if isinstance(frame, messagepal_frames.SendMessage):
            context["client_msg_id"] = frame.payload.client_msg_id
        try:
            await getattr(self, f"_on_{frame.type}")(frame.payload)
        except ParleyError as error:
            await self.refuse(error, context)

    def _reply(self, frame) -> None:
        self.connection.push(frames.encode(frame))

    async def _on_send_message(self, payload: messagepal_frames.SendMessagePayload) -> None:
        self.limit(self.send_limit, "sends")
        command = dm.SendDirectMessage(
            actor_id=self.connection.user_id, recipient_id=payload.recipient_id, content=payload.content,
            client_msg_id=payload.client_msg_id,
        )  # fmt: skip
        accepted = await self.state.bus.request(subjects.DM_SEND, command)
        if accepted.duplicate:
            # A retried send: fan-out will not bring the original again, so acknowledge it here.
            self._reply(messagepal_frames.MessageReceived(payload=accepted.message, timestamp=frames.now_ms()))

    async def _on_typing(self, payload: messagepal_frames.TypingPayload) -> None:
        self.limit(self.typing_limit, "typing signals")
        user = self.connection.user
        signal = signals.DirectTyping(user_id=user.id, username=user.username, recipient_id=payload.recipient_id,
                                      typing=True)  # fmt: skip
        await self.state.bus.publish(subjects.DM_TYPING, signal, user_id=payload.recipient_id)

    async def _on_mark_read(self, payload: messagepal_frames.MarkReadPayload) -> None:
        command = dm.MarkDirectRead(actor_id=self.connection.user_id, message_id=payload.message_id)
        await self.state.bus.request(subjects.DM_MARK_READ, command)

    async def _on_fetch_history(self, payload: messagepal_frames.FetchHistoryPayload) -> None:
        command = dm.GetDirectHistory(
            actor_id=self.connection.user_id, conversation_id=payload.conversation_id, before=payload.before,
            limit=payload.limit,
        )  # fmt: skip
        found = await self.state.bus.request(subjects.DM_HISTORY, command)
        response = messagepal_frames.HistoryResponsePayload(
            conversation_id=found.conversation_id, messages=found.messages
        )
        self._reply(messagepal_frames.HistoryResponse(payload=response, timestamp=frames.now_ms()))

    async def _on_subscribe(self, payload: messagepal_frames.ConversationPayload) -> None:
        self.limit(self.join_limit, "subscriptions")
        command = dm.AuthorizeConversation(actor_id=self.connection.user_id, conversation_id=payload.conversation_id)
        authorized = await self.state.bus.request(subjects.DM_AUTHORIZE, command)
        subscribed = messagepal_frames.SubscribedPayload(
            conversation_id=payload.conversation_id, last_seq=authorized.last_seq
        )
        self._reply(messagepal_frames.Subscribed(payload=subscribed, timestamp=frames.now_ms()))
        if payload.last_seq is not None and payload.last_seq < authorized.last_seq:
            await self.state.users.replay(
                self.connection, payload.conversation_id, payload.last_seq, authorized.last_seq
            )

    async def _on_unsubscribe(self, payload: messagepal_frames.ConversationPayload) -> None:
        command = dm.AuthorizeConversation(actor_id=self.connection.user_id, conversation_id=payload.conversation_id)
        await self.state.bus.request(subjects.DM_AUTHORIZE, command)
        done = messagepal_frames.UnsubscribedPayload(conversation_id=payload.conversation_id)
        self._reply(messagepal_frames.Unsubscribed(payload=done, timestamp=frames.now_ms()))

    async def closed(self) -> None:
        await self.state.users.detach(self.connection)
