"""Steady traffic for fault tests, and what it proves afterwards.

`Traffic` sends channel posts and DMs at a fixed rate through resuming clients that know
every edge, and records each send: when it went, when (if ever) it was acknowledged.
`check` then reads every stream's history and counts what was acknowledged, lost (an
acknowledged send missing from its stream or never delivered to the listening client)
and duplicated (one clientMsgId stored twice), and how long sends stopped flowing; it
names each lost message, with what the history and the listener hold around its seq.
"""

import asyncio
import itertools
import json
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from parley_client import ChatClient, DirectClient

from .teams import Person
from .users import signed_in

RESULTS = Path(".parley/chaos/results.jsonl")
"""One line per fault run, for `make chaos`'s table."""


@dataclass
class Send:
    stream: str
    content: str
    """Unique to the send (`c12`, `d15`: the 12th and 15th sent), so it is found in a history."""
    sent_at: float
    acked_at: float | None = None
    failed_at: float | None = None
    client_msg_id: str | None = None
    seq: int | None = None
    """The seq its acknowledgement carried."""


@dataclass
class Acked:
    stream: str
    content: str
    client_msg_id: str
    sent_at: float
    acked_at: float
    seq: int


@dataclass(frozen=True)
class Stored:
    """A message of a stream's history, as a lost one's line names it."""

    content: str
    client_msg_id: str | None

    def __str__(self) -> str:
        return f"{self.content} {str(self.client_msg_id)[:8]}"


@dataclass
class Outcome:
    fault: str
    recovery_s: float
    """How long sends stopped flowing from the fault on: the longest pause between two
    acknowledgements."""
    waited_s: float
    """The longest any one send waited past the fault for its acknowledgement: the tail,
    which a flow of other sends does not hide."""
    resumed_s: float
    """From the fault (or its healing) to the first acknowledgement after it."""
    acknowledged: int
    lost: int
    duplicated: int
    refused: int
    """Sends never acknowledged (the client gave up waiting): not owed, so not lost."""
    given_up: str = ""
    """Why and when sends were given up on, for a failing test's message."""
    losses: str = ""
    """Each lost message: its stream and seq, the send (content, clientMsgId), whether it
    is missing from the history, was not heard by the listener, or both, when it was sent
    and acknowledged (seconds from the fault, as in `given_up`), what the history holds
    at its seq instead, and whether the listener heard its neighbours."""

    def record(self) -> None:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        with RESULTS.open("a") as out:
            out.write(json.dumps(asdict(self)) + "\n")


@dataclass
class Cast:
    """Who sends and who listens: a channel poster, a DM pair, and a listener in every channel."""

    edges: list[str]
    owner: Person
    listener: Person
    peer: Person
    channels: list[int]

    @classmethod
    async def gather(cls, edges: list[str], channel_count: int) -> "Cast":
        owner, listener, peer = [Person(*await signed_in(edges[0], name)) for name in ("ona", "lio", "pia")]
        workspace = (await owner.client.post("/api/workspaces", json={"name": "Faults"})).json()
        await owner.client.post(f"/api/workspaces/{workspace['id']}/members", json={"userId": listener.id})
        channels = []
        for n in range(channel_count):
            made = await owner.client.post(f"/api/workspaces/{workspace['id']}/channels", json={"name": f"c{n}"})
            channels.append(made.json()["id"])
        return cls(edges, owner, listener, peer, channels)

    async def reader(self) -> httpx.AsyncClient:
        """An HTTP client of the owner's on an edge that answers (one may have been killed)."""
        for edge in self.edges:
            reader = httpx.AsyncClient(base_url=edge, cookies=self.owner.client.cookies)
            try:
                if (await reader.get("/readyz")).status_code == 200:
                    return reader
            except httpx.TransportError:
                pass
            await reader.aclose()
        raise ConnectionError(f"no edge answers: {self.edges}")

    async def close(self) -> None:
        for person in (self.owner, self.listener, self.peer):
            await person.client.aclose()


class Traffic:
    def __init__(self, cast: Cast, rate: float, dm_share: float = 0.2, ack_timeout_s: float = 30.0):
        self.cast = cast
        self.rate = rate
        self.dm_share = dm_share
        self.ack_timeout_s = ack_timeout_s
        self.sends: list[Send] = []
        self.failures: Counter[str] = Counter()
        """Why sends were given up on: an error code, or the exception's name (TimeoutError)."""
        self._tasks: set[asyncio.Task] = set()
        self._running: asyncio.Task | None = None

    async def start(self) -> None:
        edges, cast = self.cast.edges, self.cast
        self.poster = ChatClient(edges, cast.owner.cookie)
        self.listener = ChatClient(list(reversed(edges)), cast.listener.cookie)
        self.direct = DirectClient(edges, cast.owner.cookie)
        for client in self.clients:
            await client.start()
        for channel_id in cast.channels:
            await self.poster.join(channel_id)
            await self.listener.join(channel_id)
        # The listener is owed what is posted after its joins: a post stored before the
        # edge read the channel's head for it would count as lost without being owed.
        await self.listener.until_followed()
        self._running = asyncio.create_task(self._run())

    @property
    def clients(self) -> list[ChatClient | DirectClient]:
        return [self.poster, self.listener, self.direct]

    async def close(self) -> None:
        """Its clients' sockets close: the next fault's traffic brings its own."""
        for client in self.clients:
            await client.stop()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        began = loop.time()
        dm_every = round(1 / self.dm_share) if self.dm_share else 0
        channels = itertools.cycle(self.cast.channels)
        for n in itertools.count():
            if dm_every and n % dm_every == 0:
                send = Send(f"dm:{self.cast.peer.id}", f"d{n}", time.monotonic())
                sending = self.direct.send_message(self.cast.peer.id, send.content, self.ack_timeout_s)
            else:
                channel_id = next(channels)
                send = Send(f"channel:{channel_id}", f"c{n}", time.monotonic())
                sending = self.poster.send_message(channel_id, send.content, self.ack_timeout_s)
            self.sends.append(send)
            task = asyncio.create_task(self._track(send, sending))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            await asyncio.sleep(max(0.0, began + (n + 1) / self.rate - loop.time()))

    async def _track(self, send: Send, sending) -> None:
        try:
            message = await sending
        except Exception as exc:  # a send given up on (timed out, refused) is counted as refused, not lost
            reason = getattr(exc, "frame", {}).get("code") or type(exc).__name__
            self.failures[f"{send.stream.split(':')[0]}: {reason}"] += 1
            send.failed_at = time.monotonic()
            return
        send.acked_at = time.monotonic()
        send.client_msg_id, send.seq = message["clientMsgId"], message["seq"]

    async def stop(self) -> None:
        """Stop sending and wait for every send under way to be acknowledged or given up."""
        if self._running:
            self._running.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=self.ack_timeout_s + 5)

    def given_up(self, since: float) -> str:
        """Which sends were given up on, and when they went (seconds from `since`)."""
        failed = [s for s in self.sends if s.failed_at is not None]
        if not failed:
            return "none"
        went = sorted(s.sent_at - since for s in failed)
        which = f": {' '.join(s.content for s in failed)}" if len(failed) <= 5 else ""
        return f"{dict(self.failures)}, sent from {went[0]:+.1f}s to {went[-1]:+.1f}s{which}"

    async def check(self, fault: str, fault_at: float) -> Outcome:
        acked = [
            Acked(s.stream, s.content, s.client_msg_id, s.sent_at, s.acked_at, s.seq)
            for s in self.sends
            if s.client_msg_id and s.acked_at and s.seq is not None
        ]
        stored: dict[str, dict[int, Stored]] = {}
        """Each stream's history by seq."""
        reader = await self.cast.reader()
        try:
            for channel_id in self.cast.channels:
                url = f"/api/channels/{channel_id}/messages"
                stored[f"channel:{channel_id}"] = await _history(reader, url)
            conversation = "conv_" + "_".join(str(i) for i in sorted((self.cast.owner.id, self.cast.peer.id)))
            url = f"/api/messagepal/conversations/{conversation}/messages"
            stored[f"dm:{self.cast.peer.id}"] = await _history(reader, url)
        finally:
            await reader.aclose()
        heard = await self._heard_by_listener({s.client_msg_id for s in acked if s.stream.startswith("channel")})
        heard_ids = {client_msg_id for seqs in heard.values() for client_msg_id in seqs.values()}
        stored_ids = {stream: {found.client_msg_id for found in history.values()} for stream, history in stored.items()}
        ids = [found.client_msg_id for history in stored.values() for found in history.values()]
        losses = []
        for s in acked:
            missing = s.client_msg_id not in stored_ids[s.stream]
            unheard = s.stream.startswith("channel") and s.client_msg_id not in heard_ids
            if missing or unheard:
                losses.append(self._loss(s, missing, unheard, stored[s.stream], heard.get(s.stream, {}), fault_at))
        return Outcome(
            fault=fault,
            recovery_s=round(self.recovery(fault_at), 2),
            waited_s=round(self.longest_wait(fault_at), 2),
            resumed_s=round(min([s.acked_at for s in acked if s.acked_at >= fault_at], default=fault_at) - fault_at, 2),
            acknowledged=len(acked),
            lost=len(losses),
            duplicated=len(ids) - len(set(ids)),
            refused=len(self.sends) - len(acked),
            given_up=self.given_up(fault_at),
            losses=f"{'; '.join(losses)} (the listener connected {self.listener.connects} times)" if losses else "none",
        )

    @staticmethod
    def _loss(
        s: Acked, missing: bool, unheard: bool, stored: dict[int, Stored], heard: dict[int, str], since: float
    ) -> str:
        """One lost message, in a line: see `Outcome.losses`."""
        how = " and ".join(what for what, found in (("missing", missing), ("not heard", unheard)) if found)
        line = f"{s.stream}#{s.seq} {s.content} {s.client_msg_id[:8]} {how}, sent {s.sent_at - since:+.2f}s"
        line += f" acked {s.acked_at - since:+.2f}s"
        if missing:
            line += f", history has {stored[s.seq] if s.seq in stored else 'nothing'} at #{s.seq}"
        if s.stream.startswith("channel"):
            line += f", listener heard #{s.seq - 1} {s.seq - 1 in heard}, #{s.seq + 1} {s.seq + 1 in heard}"
            line += f", up to #{max(heard, default=None)}"
        return line

    def _acked_since(self, fault_at: float) -> list[tuple[float, float]]:
        """(sent, acknowledged) of each send acknowledged from the fault on."""
        return [(s.sent_at, s.acked_at) for s in self.sends if s.acked_at is not None and s.acked_at >= fault_at]

    def recovery(self, fault_at: float) -> float:
        times = sorted([fault_at] + [acked_at for _, acked_at in self._acked_since(fault_at)])
        return max([0.0, *(b - a for a, b in itertools.pairwise(times))])

    def longest_wait(self, fault_at: float) -> float:
        return max([0.0, *(acked_at - max(sent_at, fault_at) for sent_at, acked_at in self._acked_since(fault_at))])

    async def _heard_by_listener(self, wanted: set[str], timeout_s: float = 15.0) -> dict[str, dict[int, str]]:
        """The posts the listening client was delivered, per stream by seq, once it has
        every acknowledged one or stops hearing more."""
        heard: dict[str, dict[int, str]] = {}
        heard_ids: set[str] = set()
        deadline = time.monotonic() + timeout_s
        while not wanted <= heard_ids and time.monotonic() < deadline:
            try:
                frame = await asyncio.wait_for(self.listener.events.get(), max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                break
            if frame.get("type") == "new_message":
                message = frame["message"]
                heard.setdefault(f"channel:{frame['channelId']}", {})[frame["seq"]] = message.get("clientMsgId")
                heard_ids.add(message.get("clientMsgId"))
        return heard


async def _history(client: httpx.AsyncClient, url: str) -> dict[int, Stored]:
    """A stream's history by seq, paging back from the newest."""
    found: dict[int, Stored] = {}
    before = None
    while True:
        params = {"limit": 100, **({"before": before} if before else {})}
        page = (await client.get(url, params=params)).raise_for_status().json()
        found.update((m["seq"], Stored(m.get("content"), m.get("clientMsgId"))) for m in page)
        if len(page) < 100:
            return found
        before = min(m["seq"] for m in page)


def table(outcomes: list[dict]) -> str:
    """The fault runs as a table, for people."""
    head = (
        f"{'fault':48} {'recovery':>9} {'waited':>8} {'resumed':>8} {'acked':>7} {'lost':>5} {'doubled':>8}"
        f" {'refused':>8}"
    )
    rows = [
        f"{o['fault']:48} {o['recovery_s']:>8.2f}s {o.get('waited_s', 0):>7.2f}s {o.get('resumed_s', 0):>7.2f}s"
        f" {o['acknowledged']:>7} {o['lost']:>5}"
        f" {o['duplicated']:>8}"
        f" {o['refused']:>8}"
        for o in outcomes
    ]
    return "\n".join([head, *rows])


def recorded() -> list[dict]:
    return [json.loads(line) for line in RESULTS.read_text().splitlines()] if RESULTS.exists() else []


if __name__ == "__main__":
    print(table(recorded()))
