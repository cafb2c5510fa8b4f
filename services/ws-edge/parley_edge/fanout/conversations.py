"""Conversation feeds, keyed by user id: every DM conversation of one user, and the
typing sent to them, for that user's `/messagepal` sockets; dm answers the edge's own
reads."""

from parley_contracts import dm, messagepal_frames, signals, subjects

from ..sockets import frames
from .feeds import FeedSpec


def typing_frame(signal: signals.DirectTyping) -> tuple[bytes, int]:
    payload = messagepal_frames.UserTypingPayload(
        user_id=signal.user_id, username=signal.username, recipient_id=signal.recipient_id
    )
    return frames.encode(messagepal_frames.UserTyping(payload=payload, timestamp=frames.now_ms())), signal.user_id


CONVERSATIONS = FeedSpec[dm.ConversationEvent](
    param="user_id",
    events=subjects.DM_USER_EVENTS,
    signals=[(subjects.DM_TYPING, typing_frame)],
    read=subjects.DM_FEED_EVENTS,
    read_request=lambda stream, after, limit: dm.ReadConversationEvents(
        conversation_id=stream, after_seq=after, limit=limit
    ),
    stream_of=lambda event: event.conversation_id,
    frame_of=frames.conversation_event_frame,
    departure=lambda _event: None,  # nobody leaves a conversation
    others_frame=lambda _event: None,
)
