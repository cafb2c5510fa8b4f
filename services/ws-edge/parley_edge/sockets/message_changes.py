"""`/ws/chat` frames that change a posted message or tell about it (edit, delete,
reactions, pins, delivery receipts): each is its chat command under the same field
names, with the acting user from the session. Nothing is answered directly: the
channel's fan-out brings the change to every socket in it, this one's included, and a
refusal comes back as an error frame."""

from typing import Any

from parley_contracts import message_change_frames as change_frames
from parley_contracts import subjects

from .dialect import SocketDialect

COMMANDS: dict[type, tuple[subjects.Command[Any, Any], bool]] = {
    change_frames.EditMessage: (subjects.CHAT_EDIT_MESSAGE, True),
    change_frames.DeleteMessage: (subjects.CHAT_DELETE_MESSAGE, True),
    change_frames.AddReaction: (subjects.CHAT_ADD_REACTION, True),
    change_frames.RemoveReaction: (subjects.CHAT_REMOVE_REACTION, True),
    change_frames.PinMessage: (subjects.CHAT_PIN_MESSAGE, True),
    change_frames.UnpinMessage: (subjects.CHAT_UNPIN_MESSAGE, True),
    change_frames.MarkDelivered: (subjects.CHAT_MARK_DELIVERED, False),
}
"""Each frame's command, and whether it draws on the socket's send budget. A delivery
receipt does not: chat keeps one per member and message, so repeats append nothing."""


async def on_change(dialect: SocketDialect, frame: Any) -> None:
    command, limited = COMMANDS[type(frame)]
    if limited:
        dialect.limit(dialect.send_limit, "sends")
    fields = frame.model_dump(exclude={"type"}, exclude_none=True)
    await dialect.state.bus.request(command, command.request(actor_id=dialect.connection.user_id, **fields))
