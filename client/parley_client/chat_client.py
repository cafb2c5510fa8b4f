"""A `/ws/chat` session that survives drops (see `resuming`): channels are joined
again with `lastSeq`, sends are acknowledged by their own `new_message`."""

from collections.abc import Hashable

from .frame_socket import Frame
from .resuming import ResumingSession

SEQ_FRAMES = {
    "new_message", "message_edited", "message_deleted", "message_read",
    "reaction_added", "reaction_removed", "message_pinned", "message_unpinned", "message_delivered",
}  # fmt: skip


class ChatClient(ResumingSession):
    path = "/ws/chat"

    async def join(self, channel_id: int) -> None:
        await self.follow(channel_id)

    async def send_message(self, channel_id: int, content: str, timeout: float = 10.0) -> Frame:
        """Send and wait for the acknowledgement: our own `new_message`, carrying our clientMsgId."""
        return await self.send_acknowledged(
            {"type": "send_message", "channelId": channel_id, "content": content}, timeout
        )

    def follow_frame(self, stream: Hashable, last_seq: int | None) -> Frame:
        frame = {"type": "join_channel", "channelId": stream}
        return frame if last_seq is None else {**frame, "lastSeq": last_seq}

    def followed(self, frame: Frame) -> tuple[Hashable, int] | None:
        return (frame["channelId"], frame["lastSeq"]) if frame.get("type") == "joined_channel" else None

    def sequenced(self, frame: Frame) -> tuple[Hashable, int, Frame | None] | None:
        if frame.get("type") not in SEQ_FRAMES:
            return None
        return frame["channelId"], frame["seq"], frame.get("message") if frame["type"] == "new_message" else None
