"""The NATS bus in contract terms: requests, responders, publishes and subscriptions
that encode and decode pydantic models.

A responder never lets an exception vanish in a callback: a payload that fails
validation becomes a `bad_request` reply, a `ParleyError` its own reply, a
`TimeoutError` (a store that did not answer in time) an `unavailable` reply, and
anything else an `internal` reply plus a logged traceback. A `TimeoutError` that says
`owner_elsewhere` (the store found the stream held by the copy that owns it, and wrote
nothing) hands the command to that copy instead.

A request rides out a responder's crash and restart within its timeout. While nobody
listens, NATS says so at once (no responders) and the request is sent again after a
short pause. A request that reached a process which then died is never answered; a
repeatable command (`Command.repeatable`: idempotent, or carrying its idempotency key)
is therefore sent again when its answer is late (`lateness`: late against the times
answers take now, never sooner than `resend_after_s`), and the first answer wins. Any other
command waits out its timeout rather than risk being handled twice.

Commands are served concurrently: nats-py hands a subscription's messages to its
callback one at a time, which would serve one request per service process at a time
(a post's round trips to the store and JetStream, end to end, before the next began).
Each request runs on a task of its own instead, at most `concurrency` at once per
process; past that the subscription's queue holds the rest. Each served command is
timed and its errors counted by subject (`metrics.py`).
"""

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import nats
import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.errors import NoRespondersError, OutboundBufferLimitError
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import StreamConfig
from nats.js.errors import NotFoundError
from pydantic import BaseModel, TypeAdapter, ValidationError

from parley_contracts.errors import ErrorCode
from parley_contracts.replies import ErrorReply, OkReply
from parley_contracts.subjects import EVENTS_STREAM_SUBJECTS, Command, Topic, TopicGroup, reply_inbox

from .errors import ParleyError
from .jetstream_acks import JetStreamAcks
from .jetstream_settling import once_settled
from .lateness import Lateness
from .metrics import COMMAND_ERRORS, COMMAND_SECONDS
from .validation import describe, summary

if TYPE_CHECKING:
    from .owners import Owners

Request = TypeVar("Request", bound=BaseModel)
Response = TypeVar("Response", bound=BaseModel)
Model = TypeVar("Model", bound=BaseModel)

log = structlog.get_logger("parley.bus")
DRAIN_TIMEOUT_S = 30.0
FIRST_PAUSE_S = 0.05
MAX_PAUSE_S = 0.25
"""The pause after a no-responders answer doubles up to this: a restarted service is
heard from at most this long after it subscribes."""
PING_INTERVAL_S = 2
_reply_envelope = TypeAdapter(OkReply | ErrorReply)
OK_PREFIX = b'{"ok":true,"data":'
"""How every success reply begins: a responder splices the result's JSON in after it (and
a `}`), and a requester takes it out the same way, so the result is validated once, from
its own bytes, rather than as the envelope's dictionary first and as the reply model then."""


def encode(model: BaseModel) -> bytes:
    """The model's contract JSON, straight from its serializer: `model_dump_json` costs
    a command a few microseconds more and returns text, only to be encoded again."""
    return model.__pydantic_serializer__.to_json(model, exclude_none=True)


class EventMessage(NamedTuple):
    """One JetStream message of an event: where it goes, the encoded event, and the id
    JetStream de-duplicates it by."""

    subject: str
    payload: bytes
    msg_id: str


def _failure(ack: "asyncio.Future[None] | Exception") -> BaseException | None:
    if isinstance(ack, Exception):
        return ack
    if ack.cancelled():
        return NatsTimeout()
    return ack.exception()


class Bus:
    """One NATS connection used through contract models."""

    def __init__(self, nc: Client, request_timeout_s: float = 5.0, resend_after_s: float = 1.0, concurrency: int = 256):
        self.nc = nc
        self.js = nc.jetstream()
        self._acks = JetStreamAcks(nc)
        self._log = log.bind()
        """For the lines of every command: bound once logging is configured, since the
        module's lazy logger binds itself again at each call (microseconds a command, even
        for a debug line filtered out)."""
        self.request_timeout_s = request_timeout_s
        self.resend_after_s = resend_after_s
        self._lateness: dict[str, Lateness] = {}
        self._slots = asyncio.Semaphore(concurrency)
        self._handling: set[asyncio.Task[None]] = set()
        self._served: list[Subscription] = []
        self._follow_ups: set[asyncio.Task[None]] = set()

    @classmethod
    async def connect(
        cls,
        url: str,
        name: str,
        request_timeout_s: float = 5.0,
        resend_after_s: float = 1.0,
        connect_deadline_s: float = 10.0,
        concurrency: int = 256,
        user: str = "",
        password: str = "",
        **options: Any,
    ) -> "Bus":
        """Connect, retrying for at most `connect_deadline_s`; once up, reconnect forever.
        Credentials go apart from the URL (any character works); replies come under
        `reply_inbox(name)`, the only inbox the service's NATS user may read."""

        async def on_error(error: Exception) -> None:
            log.warning("nats_error", error=str(error))

        async def on_disconnect() -> None:
            log.warning("nats_disconnected")

        async def on_reconnect() -> None:
            log.info("nats_reconnected")

        connecting = nats.connect(
            servers=url.split(","),
            name=name,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.2,  # NATS back is found within 0.2 s; a refused connect costs nothing
            # A frozen server answers no ping: after two missed (4-6 s), move to another node.
            ping_interval=PING_INTERVAL_S,
            max_outstanding_pings=2,
            error_cb=on_error,
            disconnected_cb=on_disconnect,
            reconnected_cb=on_reconnect,
            inbox_prefix=reply_inbox(name),
            **({"user": user, "password": password} if user else {}),
            **options,
        )
        nc = await asyncio.wait_for(connecting, connect_deadline_s)
        return cls(nc, request_timeout_s, resend_after_s, concurrency)

    # Request/reply ---------------------------------------------------------------

    async def request(
        self, command: Command[Request, Response], payload: Request, timeout_s: float | None = None
    ) -> Response:
        """Send a command and return its reply model, or raise the `ParleyError` it answered."""
        deadline = asyncio.get_running_loop().time() + (timeout_s or self.request_timeout_s)
        data = encode(payload)
        try:
            if command.repeatable(payload):
                msg = await self._first_answer(command.subject, data, deadline)
            else:
                msg = await self._ask(command.subject, data, deadline)
        except (NoRespondersError, NatsTimeout, OutboundBufferLimitError) as exc:
            # The last: NATS has been away so long that the buffer of what waits for it is full.
            raise ParleyError(ErrorCode.UNAVAILABLE, f"{command.service} did not answer") from exc
        if msg.data.startswith(OK_PREFIX):
            return command.reply.model_validate_json(msg.data[len(OK_PREFIX) : -1], strict=False)
        envelope = _reply_envelope.validate_json(msg.data)  # a refusal, or an envelope written otherwise
        if isinstance(envelope, ErrorReply):
            raise ParleyError.from_body(envelope.error)
        return command.reply.model_validate(envelope.data, strict=False)

    async def _ask(self, subject: str, data: bytes, deadline: float) -> Msg:
        """One copy of a request, sent again after a pause while no responder listens."""
        loop = asyncio.get_running_loop()
        pause = FIRST_PAUSE_S
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise NatsTimeout
            try:
                return await self.nc.request(subject, data, timeout=remaining)
            except NoRespondersError:
                if loop.time() + pause >= deadline:
                    raise
                await asyncio.sleep(pause)
                pause = min(2 * pause, MAX_PAUSE_S)

    async def _first_answer(self, subject: str, data: bytes, deadline: float) -> Msg:
        """Copies of a repeatable request, another each time the answer is late (see
        `lateness`; twice as long each time); the first answer wins."""
        lateness = self._lateness.get(subject)
        if lateness is None:
            lateness = self._lateness[subject] = Lateness(self.resend_after_s, self.request_timeout_s)
        loop = asyncio.get_running_loop()
        sent_at, late_after = loop.time(), lateness.late_after_s
        copies: set[asyncio.Task[Msg]] = set()
        try:
            while True:
                copies.add(asyncio.create_task(self._ask(subject, data, deadline)))
                done, copies = await asyncio.wait(copies, timeout=late_after, return_when=asyncio.FIRST_COMPLETED)
                if done:
                    answered = [copy for copy in done if copy.exception() is None]
                    if answered and len(done) + len(copies) == 1:
                        lateness.answered(loop.time() - sent_at)  # sent once: a fair measure
                    return (answered or list(done))[0].result()
                lateness.resent()
                late_after *= 2
        finally:
            for copy in copies:
                copy.cancel()

    async def serve(
        self,
        command: Command[Request, Response],
        handler: Callable[[Request], Awaitable[Response]],
        owners: "Owners | None" = None,
    ) -> Subscription:
        """Answer `command` in the service's queue group so N copies share the load. With
        `owners`, a command for a stream another copy owns goes to that copy, which also
        serves the command on its own subject (`Command.at`)."""

        seconds = COMMAND_SECONDS.labels(command.subject)  # looked up once, not per request

        async def respond(msg: Msg, routing: "Owners | None") -> None:
            with seconds.time():
                reply = await self._handle(command, handler, msg.data, routing)
            if msg.reply:
                try:
                    await msg.respond(reply)
                except Exception as exc:  # the connection went away; the requester times out
                    log.warning("reply_failed", subject=command.subject, error=str(exc))

        def dispatcher(routing: "Owners | None") -> Callable[[Msg], Awaitable[None]]:
            async def dispatch(msg: Msg) -> None:
                await self._slots.acquire()
                task = asyncio.create_task(respond(msg, routing))
                self._handling.add(task)
                task.add_done_callback(self._handled)

            return dispatch

        routed = owners is not None and command.stream_of is not None
        subscription = await self.nc.subscribe(
            command.subject, queue=command.service, cb=dispatcher(owners if routed else None)
        )
        self._served.append(subscription)
        if owners is not None and routed:  # what another copy hands this one is handled here
            self._served.append(await self.nc.subscribe(command.at(owners.me), cb=dispatcher(None)))
        await self.nc.flush()  # the server knows the responder before serve() returns
        return subscription

    def follow_up(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` past the reply it follows (a publish after a command is answered);
        `drain` waits for it as for the commands under way."""
        task = asyncio.create_task(work)
        self._follow_ups.add(task)
        task.add_done_callback(self._follow_ups.discard)

    def _handled(self, task: asyncio.Task[None]) -> None:
        self._handling.discard(task)
        self._slots.release()

    async def _handle(
        self,
        command: Command[Request, Response],
        handler: Callable[[Request], Awaitable[Response]],
        data: bytes,
        owners: "Owners | None",
    ) -> bytes:
        try:
            request = command.request.__pydantic_validator__.validate_json(data)
        except ValidationError as exc:
            error = ParleyError(ErrorCode.BAD_REQUEST, summary(exc), describe(exc))
            COMMAND_ERRORS.labels(command.subject, error.code.value).inc()
            return encode(ErrorReply(error=error.body()))
        try:
            if owners is not None and (answer := await owners.forward(command, request, data)) is not None:
                self._log.debug("handed_over", subject=command.subject)
                return answer
            result = await handler(request)
        except ParleyError as exc:
            self._log.debug("refused", subject=command.subject, code=exc.code.value)
            COMMAND_ERRORS.labels(command.subject, exc.code.value).inc()
            return encode(ErrorReply(error=exc.body()))
        except TimeoutError as exc:  # a store that did not answer in time (StoreUnavailable)
            if getattr(exc, "owner_elsewhere", False) and owners is not None:
                # Nothing was written: the stream is held by the copy that owns it now
                # (this one appended before it heard of that copy), so that copy handles it.
                if (answer := await owners.forward(command, request, data)) is not None:
                    self._log.debug("handed_over", subject=command.subject)
                    return answer
            log.warning("store_unavailable", subject=command.subject, error=str(exc))
            error = ParleyError(ErrorCode.UNAVAILABLE, "the store did not answer; try again")
            COMMAND_ERRORS.labels(command.subject, error.code.value).inc()
            return encode(ErrorReply(error=error.body()))
        except Exception:
            log.exception("handler_failed", subject=command.subject)
            error = ParleyError(ErrorCode.INTERNAL, "the service failed; nothing was changed if it can be helped")
            COMMAND_ERRORS.labels(command.subject, error.code.value).inc()
            return encode(ErrorReply(error=error.body()))
        self._log.debug("handled", subject=command.subject)
        # Spliced rather than re-validated: the handler's model is already checked.
        return OK_PREFIX + encode(result) + b"}"

    # Publish/subscribe -----------------------------------------------------------

    async def publish(self, topic: Topic[Model], message: BaseModel, **params: object) -> None:
        """Core NATS publish for signals: fire and forget, never stored."""
        await self.nc.publish(topic.subject(**params), encode(message))

    async def publish_events(self, messages: Sequence[EventMessage]) -> list[BaseException | None]:
        """JetStream publishes sent together and acknowledged together: one wait for all
        the acknowledgements (at most `request_timeout_s`) rather than a request, a task
        and a timer for each, which cost a service more than the rest of a post. For each
        message: None once JetStream stored it (or had it already, de-duplicated by its
        `msg_id`), else why not."""
        acks: list[asyncio.Future[None] | Exception] = []
        for message in messages:
            try:
                ack = await self._acks.publish(message.subject, message.payload, message.msg_id)
            except Exception as exc:  # NATS away so long that the buffer of what waits for it is full
                acks.append(exc)
            else:
                acks.append(ack)
        awaited = [ack for ack in acks if isinstance(ack, asyncio.Future)]
        if awaited:
            _, late = await asyncio.wait(awaited, timeout=self.request_timeout_s)
            for ack in late:
                ack.cancel()  # no longer waited for (`JetStreamAcks` forgets it)
        return [_failure(ack) for ack in acks]

    async def subscribe(
        self,
        subject: str,
        decoder: type[BaseModel] | TypeAdapter[Any],
        handler: Callable[[Any, Msg], Awaitable[None]],
        queue: str = "",
    ) -> Subscription:
        """Decode each message with `decoder`; a message that does not decode is logged and skipped."""
        validate = decoder.validate_json if isinstance(decoder, TypeAdapter) else decoder.model_validate_json

        async def deliver(msg: Msg) -> None:
            try:
                value = validate(msg.data)
            except ValidationError as exc:
                log.error("undecodable_message", subject=msg.subject, problem=summary(exc))
                return
            try:
                await handler(value, msg)
            except Exception:
                log.exception("subscriber_failed", subject=msg.subject)

        subscription = await self.nc.subscribe(subject, queue=queue, cb=deliver)
        await self.nc.flush()
        return subscription

    async def listen(
        self, topic: Topic[Any] | TopicGroup, handler: Callable[[Any, Msg], Awaitable[None]], **params: object
    ) -> Subscription:
        """Subscribe to a contract topic, its `{name}` parts filled from `params`."""
        return await self.subscribe(topic.subject(**params), topic.decoder, handler)

    async def ensure_events_stream(
        self,
        name: str,
        duplicate_window_s: float = 3600.0,
        max_age_s: float = 7 * 24 * 3600.0,
        max_bytes: int = 1024**3,
        replicas: int = 1,
    ) -> None:
        """Create the EVENTS stream (file storage, `replicas` copies) if it is missing, or
        bring its limits to these: the oldest events go once it is older than `max_age_s`
        or larger than `max_bytes` (the stores keep the history; the stream only carries it).
        Tried again while a cluster starting with this service settles (`jetstream_settling`)."""
        wanted = StreamConfig(
            name=name,
            subjects=list(EVENTS_STREAM_SUBJECTS),
            duplicate_window=duplicate_window_s,
            max_age=max_age_s,
            max_bytes=max_bytes,
            num_replicas=replicas,
        )

        async def found_or_made() -> StreamConfig | None:
            """The stream's config if it exists; None once it has just been made as wanted."""
            try:
                return (await self.js.stream_info(name)).config
            except NotFoundError:
                await self.js.add_stream(wanted)
                return None

        config = await once_settled(found_or_made)
        if config is None:
            return
        limits = ("duplicate_window", "max_age", "max_bytes")
        if any(getattr(config, field) != getattr(wanted, field) for field in limits):
            log.info("events_stream_limits_changed", stream=name, max_age_s=max_age_s, max_bytes=max_bytes)
            await self.js.update_stream(
                dataclasses.replace(config, duplicate_window=duplicate_window_s, max_age=max_age_s, max_bytes=max_bytes)
            )

    async def drain(self) -> None:
        """Stop taking commands (other copies get them), answer those under way, then close."""
        if self.nc.is_closed:
            return
        drains = [sub.drain() for sub in self._served]  # type: ignore[no-untyped-call]  # nats-py leaves it unannotated
        await asyncio.gather(*drains)
        if self._handling:  # bounded like nats-py's own drain: one stuck handler must not hold the exit
            await asyncio.wait(self._handling, timeout=DRAIN_TIMEOUT_S)
        if self._follow_ups:
            await asyncio.wait(self._follow_ups, timeout=DRAIN_TIMEOUT_S)
        await self.nc.drain()
