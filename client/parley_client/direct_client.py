"""A `/messagepal` session that survives drops (see `resuming`): conversations are
subscribed again with `lastSeq`, sends are acknowledged by their own `message_received`."""

from collections.abc import Hashable

from .frame_socket import Frame
from .resuming import ResumingSession

SEQ_FRAMES = {"message_received", "message_read", "message_edited", "message_deleted"}


class DirectClient(ResumingSession):
    path = "/messagepal"

    async def subscribe(self, conversation_id: str) -> None:
        await self.follow(conversation_id)

    async def send_message(self, recipient_id: int, content: str, timeout: float = 10.0) -> Frame:
        """Send and wait for the acknowledgement: our own `message_received`, carrying our clientMsgId."""
        frame = {"type": "send_message", "payload": {"recipientId": recipient_id, "content": content}}
        return await self.send_acknowledged(frame, timeout)

    def follow_frame(self, stream: Hashable, last_seq: int | None) -> Frame:
        payload = {"conversationId": stream}
        return {"type": "subscribe", "payload": payload if last_seq is None else {**payload, "lastSeq": last_seq}}

    def followed(self, frame: Frame) -> tuple[Hashable, int] | None:
        if frame.get("type") != "subscribed":
            return None
        return frame["payload"]["conversationId"], frame["payload"]["lastSeq"]

    def refusal(self, frame: Frame) -> Frame | None:
        return frame["payload"] if frame.get("type") == "error" else None

    def sequenced(self, frame: Frame) -> tuple[Hashable, int, Frame | None] | None:
        if frame.get("type") not in SEQ_FRAMES:
            return None
        payload = frame["payload"]
        return payload["conversationId"], payload["seq"], payload if frame["type"] == "message_received" else None
