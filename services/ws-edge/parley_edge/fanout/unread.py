"""`unread_updated` for a reader: after `mark_read`, the reader's sockets in the channel
on this edge learn how far their count went down. (Each new message's +1 reaches the
channel's sockets with the message itself: `channels.unread_frame`.)"""

from parley_contracts import chat, unread

from ..sockets import frames
from .feeds import Feeds


def tell_reader(channels: Feeds[chat.ChannelEvent], user_id: int, channel_id: int, marked: unread.ReadMarked) -> None:
    feed = channels.get(channel_id)
    if feed is None or marked.delta == 0:
        return
    frame = frames.encode(unread.UnreadUpdated(channel_id=channel_id, delta=marked.delta))
    feed.tell(user_id, frame)
