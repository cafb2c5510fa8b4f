"""Which copy of a service appends to each stream (a channel, a conversation).

Two copies of chat appending to one channel at once both pay for it: on Cassandra
the second waits for the first's lease, and neither copy's group commit gathers much.
So each stream has one owner among the copies alive: rendezvous hashing over the
copies heard from lately (each says it is alive on `<service>.instances` every
`HEARTBEAT_S`). A copy that receives a command appending to a stream it does not
own (`Command.stream_of`) hands it to the owner on the owner's own subject
(`Command.at`) and relays the answer.

On Cassandra the owner is also the copy that holds the stream's lease
(`parley_storage.leases`) and alone writes it; the store follows `owner` to release a
lease when another copy comes to own the stream. Ownership itself needs no agreement:
a copy that has not yet heard of another's arrival or death appends where it believes,
and the lease keeps the writes one at a time (the store hands such a command to the
stream's owner once it hears of it). An owner that is gone (NATS says no one listens)
is forgotten at once and the command handled here, where its lease is waited out. One
that does not answer within the request timeout is forgotten too, and a repeatable
command handled here, while any other command is refused as unavailable rather than
risk being handled twice. The wait is the whole request timeout, not less: a slow
owner still holds the stream's lease, so handling the command here only waits for it.
"""

import asyncio
import hashlib
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nats.aio.msg import Msg
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout

from parley_contracts.errors import ErrorCode
from parley_contracts.signals import InstanceAlive
from parley_contracts.subjects import INSTANCE_ALIVE, Command

from .errors import ParleyError

if TYPE_CHECKING:
    from .bus import Bus

HEARTBEAT_S = 1.0
FORGET_AFTER_S = 3.0
"""A copy not heard from for this long owns nothing."""


def _weight(instance: str, stream: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{instance}/{stream}".encode(), digest_size=8).digest(), "big")


class Owners:
    def __init__(self, bus: "Bus", service: str, clock: Callable[[], float] = time.monotonic):
        self.me = uuid.uuid4().hex[:12]
        self._bus = bus
        self._service = service
        self._clock = clock
        self._heard: dict[str, float] = {}

    async def start(self) -> None:
        """Hear the other copies; `run` then says this one is alive."""
        await self._bus.listen(INSTANCE_ALIVE, self._heard_from, service=self._service)

    async def run(self) -> None:
        alive = InstanceAlive(instance=self.me)
        while True:
            await self._bus.publish(INSTANCE_ALIVE, alive, service=self._service)
            await asyncio.sleep(HEARTBEAT_S)

    async def _heard_from(self, alive: InstanceAlive, _: Msg) -> None:
        self.heard(alive.instance)

    def heard(self, instance: str) -> None:
        self._heard[instance] = self._clock()

    def forget(self, instance: str) -> None:
        self._heard.pop(instance, None)

    def owner(self, stream: object) -> str:
        """The copy that owns `stream`: of the copies alive, the one it weighs most with."""
        now = self._clock()
        alive = [instance for instance, at in self._heard.items() if now - at < FORGET_AFTER_S and instance != self.me]
        if not alive:
            return self.me  # a lone copy owns everything, without hashing
        return max([self.me, *alive], key=lambda instance: _weight(instance, str(stream)))

    async def forward(self, command: Command[Any, Any], request: Any, data: bytes) -> bytes | None:
        """The owner's answer when another copy owns the request's stream; None when this
        copy handles it: it owns the stream, or the owner is gone."""
        if command.stream_of is None:
            return None
        owner = self.owner(command.stream_of(request))
        if owner == self.me:
            return None
        try:
            return (await self._bus.nc.request(command.at(owner), data, timeout=self._bus.request_timeout_s)).data
        except NoRespondersError:
            self.forget(owner)
            return None
        except NatsTimeout:
            self.forget(owner)
            if command.repeatable(request):
                return None
            raise ParleyError(ErrorCode.UNAVAILABLE, f"{command.service} did not answer") from None
