"""The OpenAI-compatible provider against a real local HTTP server speaking that API's
request and response shapes, including its error and timeout paths."""

from datetime import UTC, datetime

import pytest

from parley_assistant.openai_compat import OpenAICompatibleProvider
from parley_assistant.providers import Context, ProviderFailed
from parley_contracts.chat import ChannelMessage
from parley_testkit.model_server import FakeModelServer


@pytest.fixture
async def model_server():
    server = FakeModelServer()
    yield server, await server.start()
    await server.stop()


def context() -> Context:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    messages = [
        ChannelMessage(id=1, channel_id=1, author_id=1, content="when do we ship?", seq=1, created_at=when),
        ChannelMessage(id=2, channel_id=1, author_id=9, content="earlier answer", seq=2, created_at=when),
        ChannelMessage(id=3, channel_id=1, author_id=1, content="@AI decide", seq=3, created_at=when),
    ]
    return Context(messages=messages, usernames={1: "ada"}, assistant_id=9)


async def test_request_and_answer_shapes(model_server):
    server, url = model_server
    provider = OpenAICompatibleProvider(url, "llama3", "sk-test", timeout_s=2)
    assert await provider.answer("decide", context()) == "Deploy on Friday."
    [request] = server.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["authorization"] == "Bearer sk-test"
    assert request["body"]["model"] == "llama3"
    roles = [m["role"] for m in request["body"]["messages"]]
    assert roles == ["system", "user", "assistant", "user"]
    assert request["body"]["messages"][1]["content"] == "ada: when do we ship?"


async def test_error_and_timeout_are_provider_failures(model_server):
    server, url = model_server
    provider = OpenAICompatibleProvider(url, "llama3", None, timeout_s=0.5)
    server.mode = "error"
    with pytest.raises(ProviderFailed, match="500"):
        await provider.answer("decide", context())
    server.mode = "slow"
    with pytest.raises(ProviderFailed, match="no answer"):
        await provider.answer("decide", context())
    assert "authorization" not in server.requests[0]["headers"]
