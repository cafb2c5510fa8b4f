"""Assistant settings: `PARLEY_ASSISTANT_*` env vars."""

from pydantic_settings import SettingsConfigDict

from parley_runtime.settings import ServiceSettings


class AssistantSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PARLEY_ASSISTANT_", extra="ignore", frozen=True)

    username: str = "assistant"
    display_name: str = "Assistant"
    names: str = "AI,assistant"
    """Comma-separated names that summon it: `@AI`, `@assistant`."""
    events_stream: str = "EVENTS"
    durable: str = "assistant"
    ack_wait_s: float = 60.0
    """A message not acknowledged within this is delivered again (the assistant died)."""
    context_messages: int = 20
    replies_per_minute: int = 6
    """Per channel."""
    provider_timeout_s: float = 20.0
    handle_timeout_s: float = 45.0
    """Past this, answering one message is given up and the message comes again later."""
    openai_base_url: str | None = None
    """Any OpenAI-compatible endpoint (hosted, Ollama, vLLM, llama.cpp); unset: the offline provider."""
    openai_model: str = "gpt-4o-mini"
    openai_api_key: str | None = None
    presence_bucket: str = "presence"
    failpoint: str | None = None
    """Tests only: `after_typing` / `after_reply` make the process kill itself before it
    replies / after it replied but before it acknowledged the message."""
