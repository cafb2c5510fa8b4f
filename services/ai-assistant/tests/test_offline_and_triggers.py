"""The trigger and the offline provider: pure logic on hand-made messages."""

from datetime import UTC, datetime

from parley_assistant.offline import HELP, OfflineProvider
from parley_assistant.providers import Context
from parley_assistant.triggers import Trigger
from parley_contracts.chat import ChannelMessage

BOT = 99


def msg(seq: int, author: int, content: str, **extra) -> ChannelMessage:
    return ChannelMessage(id=100 + seq, channel_id=1, author_id=author, content=content, seq=seq,
                          created_at=datetime(2026, 1, 1, tzinfo=UTC), **extra)  # fmt: skip


def test_mentions_by_name_or_id_and_never_its_own():
    trigger = Trigger(["AI", "assistant"])
    assert trigger.question(msg(1, 1, "@AI summary please"), BOT) == "summary please"
    assert trigger.question(msg(1, 1, "hey @assistant: who"), BOT) == "hey who"
    assert trigger.question(msg(1, 1, "what do you think", mentions=[BOT]), BOT) == "what do you think"
    assert trigger.question(msg(1, 1, "email me at x@AIRPORT.com"), BOT) is None
    assert trigger.question(msg(1, 1, "no mention"), BOT) is None
    assert trigger.question(msg(1, BOT, "@AI talking to myself"), BOT) is None


async def test_offline_commands():
    messages = [
        msg(1, 1, "shipping the release today"),
        msg(2, 2, "did the migration run?"),
        msg(3, 1, "yes, the migration ran", reply_to=102),
        msg(4, 2, "who owns the dashboard?"),
        msg(5, 1, "@AI summary"),  # the question itself, always last
    ]
    context = Context(messages=messages, usernames={1: "ada", 2: "bob"}, online=["ada"], assistant_id=BOT)
    provider = OfflineProvider()
    summary = await provider.answer("summary", context)
    assert "ada (2), bob (2)" in summary
    assert "Open questions: bob: who owns the dashboard?" in summary
    assert "did the migration run" not in summary.split("Open questions")[1]
    assert (await provider.answer("search migration", context)).count("\n") == 1
    assert "No recent message" in await provider.answer("search kubernetes", context)
    assert await provider.answer("who", context) == "Online now: ada."
    assert await provider.answer("help", context) == HELP
    assert await provider.answer("what?", context) == HELP
