"""JetStream publishes whose acknowledgements come back on one inbox subscription, each
awaited as a future that says only whether JetStream stored the message.

nats-py's `publish_async` does the same and more per publish: a semaphore, a token from
the OS's random source, and every acknowledgement parsed into a `PubAck` (by dataclass
reflection) that nobody here reads. For a DM, published to both participants, that was a
tenth of a send's CPU.
"""

import asyncio
import json

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.errors import APIError, NoStreamResponseError

NO_RESPONDERS = "503"
"""The status NATS answers with when no stream captures the subject."""


class JetStreamAcks:
    def __init__(self, nc: Client):
        self._nc = nc
        self._prefix = ""
        self._waiting: dict[str, asyncio.Future[None]] = {}
        self._sent = 0
        self._subscribing = asyncio.Lock()

    async def publish(self, subject: str, payload: bytes, msg_id: str) -> "asyncio.Future[None]":
        """Sends the message, de-duplicated by `msg_id`; the future is done once JetStream
        answers (an exception when it did not store it). Cancel it to stop waiting."""
        if not self._prefix:
            await self._subscribe()
        self._sent += 1
        token = str(self._sent)
        acked: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting[token] = acked
        acked.add_done_callback(lambda _: self._waiting.pop(token, None))
        try:
            await self._nc.publish(subject, payload, reply=self._prefix + token, headers={"Nats-Msg-Id": msg_id})
        except BaseException:
            acked.cancel()
            raise
        return acked

    async def _subscribe(self) -> None:
        async with self._subscribing:
            if not self._prefix:
                prefix = f"{self._nc.new_inbox()}."
                await self._nc.subscribe(prefix + "*", cb=self._acknowledged)
                self._prefix = prefix

    async def _acknowledged(self, msg: Msg) -> None:
        acked = self._waiting.get(msg.subject[len(self._prefix) :])
        if acked is None or acked.done():  # given up on already
            return
        status = msg.headers.get("Status") if msg.headers else None
        if status == NO_RESPONDERS:
            acked.set_exception(NoStreamResponseError())
        elif status:  # an answer from NATS, not the stream
            acked.set_exception(APIError(code=int(status), description=(msg.headers or {}).get("Description")))
        elif b'"error"' in msg.data and "error" in (answer := json.loads(msg.data)):  # parsed only if it may be one
            error = answer["error"]
            acked.set_exception(APIError(error.get("code"), error.get("description"), error.get("err_code")))
        else:
            acked.set_result(None)
