"""Wires the assistant: its user (created at start-up if missing), its provider, and
the consumer task."""

import asyncio
import secrets

from parley_contracts import auth, subjects
from parley_contracts.errors import ErrorCode
from parley_runtime.bus import Bus
from parley_runtime.errors import ParleyError
from parley_runtime.lifecycle import Started

from .assistant import Assistant
from .consumer import Pulse, consume
from .offline import OfflineProvider
from .openai_compat import OpenAICompatibleProvider
from .providers import Provider
from .settings import AssistantSettings


async def assistant_user(bus: Bus, settings: AssistantSettings) -> auth.User:
    try:
        # Nobody logs in as the assistant: its password is thrown away.
        register = auth.RegisterUser(
            username=settings.username, password=secrets.token_urlsafe(32), name=settings.display_name, role="bot"
        )
        return await bus.request(subjects.AUTH_REGISTER, register)
    except ParleyError as exc:
        if exc.code is not ErrorCode.CONFLICT:
            raise
    return await bus.request(subjects.AUTH_FIND_USER, auth.FindUser(username=settings.username))


def provider_for(settings: AssistantSettings) -> Provider:
    if settings.openai_base_url:
        return OpenAICompatibleProvider(
            settings.openai_base_url, settings.openai_model, settings.openai_api_key, settings.provider_timeout_s
        )
    return OfflineProvider()


async def start(bus: Bus, settings: AssistantSettings) -> Started:
    # chat and dm create EVENTS; the assistant may only read it. Until it exists the
    # consumer loop fails, waits and tries again.
    assistant = Assistant(bus, settings, provider_for(settings), await assistant_user(bus, settings))
    pulse = Pulse(settings)
    task = asyncio.create_task(consume(bus, assistant, pulse))

    async def stop() -> None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    async def consuming() -> bool:
        return not task.done() and pulse.recent()

    return Started(checks={"consumer": consuming}, stop=stop)
