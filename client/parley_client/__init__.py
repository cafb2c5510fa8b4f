"""An asyncio client for Parley: `FrameSocket` speaks frames on one socket;
`ChatClient` (`/ws/chat`) and `DirectClient` (`/messagepal`) keep a session alive across
drops and edges (reconnect with backoff and jitter, follow each stream again from its
last `seq`, resend unacknowledged sends with their `clientMsgId`); `Listener` takes in
frames cheaply, for load tests."""

from .chat_client import ChatClient
from .direct_client import DirectClient
from .frame_socket import FrameSocket
from .listener import Listener

__all__ = ["ChatClient", "DirectClient", "FrameSocket", "Listener"]
