"""An asyncio client for Parley: `FrameSocket` speaks frames on one socket;
`ChatClient` keeps a `/ws/chat` session alive across drops (reconnect with backoff and
jitter, re-join with `lastSeq`, resend unacknowledged sends with their `clientMsgId`)."""

from .chat_client import ChatClient
from .frame_socket import FrameSocket

__all__ = ["ChatClient", "FrameSocket"]
