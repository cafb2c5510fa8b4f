"""Channel feeds, keyed by channel id: a channel's events, typing and presence for the
`/ws/chat` sockets that joined it; chat answers the edge's own reads."""

from parley_contracts import chat, chat_frames, signals, subjects, unread

from ..sockets import frames
from .feeds import FeedSpec


def departure(event: chat.ChannelEvent) -> tuple[int, bytes] | None:
    if isinstance(event, chat.MemberRemoved):
        return event.user_id, frames.encode(chat_frames.LeftChannel(channel_id=event.channel_id))
    return None


def unread_frame(event: chat.ChannelEvent) -> tuple[bytes, int] | None:
    """A new message is one more unread for everyone in the channel but its author."""
    if isinstance(event, chat.MessagePosted):
        updated = unread.UnreadUpdated(channel_id=event.channel_id, delta=1)
        return frames.encode(updated), event.message.author_id
    return None


def typing_frame(signal: signals.ChannelTyping) -> tuple[bytes, int]:
    frame_type = chat_frames.UserTyping if signal.typing else chat_frames.UserStopTyping
    frame = frame_type(channel_id=signal.channel_id, user_id=signal.user_id, username=signal.username)
    return frames.encode(frame), signal.user_id


def presence_frame(signal: signals.PresenceChanged) -> tuple[bytes, int]:
    frame = chat_frames.UserPresence(
        channel_id=signal.channel_id, user_id=signal.user_id, username=signal.username, status=signal.status
    )
    return frames.encode(frame), signal.user_id


CHANNELS = FeedSpec[chat.ChannelEvent](
    param="channel_id",
    events=subjects.CHAT_CHANNEL_EVENTS,
    signals=[(subjects.CHAT_TYPING, typing_frame), (subjects.CHAT_PRESENCE, presence_frame)],
    read=subjects.CHAT_FEED_EVENTS,
    read_request=lambda stream, after, limit: chat.ReadChannelEvents(channel_id=stream, after_seq=after, limit=limit),
    stream_of=lambda event: event.channel_id,
    frame_of=frames.event_frame,
    departure=departure,
    others_frame=unread_frame,
)
