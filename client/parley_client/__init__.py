"""An asyncio client for Parley: `FrameSocket` speaks frames on one socket;
`ChatClient` keeps a `/ws/chat` session alive across drops (reconnect with backoff and
jitter, re-join with `lastSeq`, resend unacknowledged sends with their `clientMsgId`);
`Listener` takes in frames cheaply, for load tests."""

from .chat_client import ChatClient
from .frame_socket import FrameSocket
from .listener import Listener

__all__ = ["ChatClient", "FrameSocket", "Listener"]
