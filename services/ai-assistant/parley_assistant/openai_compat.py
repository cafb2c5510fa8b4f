"""A provider for any OpenAI-compatible chat-completions endpoint: hosted APIs and
local servers such as Ollama, vLLM or llama.cpp."""

import httpx

from .providers import Context, ProviderFailed

SYSTEM = (
    "You are the assistant in a team chat channel. Answer the last message briefly and helpfully, "
    "using the conversation for context."
)


class OpenAICompatibleProvider:
    def __init__(self, base_url: str, model: str, api_key: str | None, timeout_s: float):
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._model = model
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._timeout_s = timeout_s

    def request_body(self, question: str, context: Context) -> dict:
        messages = [{"role": "system", "content": SYSTEM}]
        for message in context.messages:
            if message.author_id == context.assistant_id:
                messages.append({"role": "assistant", "content": message.content})
            else:
                messages.append({"role": "user", "content": f"{context.author(message)}: {message.content}"})
        return {"model": self._model, "messages": messages}

    async def answer(self, question: str, context: Context) -> str:
        try:
            async with httpx.AsyncClient(timeout=self._timeout_s) as client:
                response = await client.post(
                    self._url, json=self.request_body(question, context), headers=self._headers
                )
        except httpx.HTTPError as exc:
            raise ProviderFailed(f"no answer from the model server ({type(exc).__name__})") from exc
        if response.status_code != 200:
            raise ProviderFailed(f"the model server answered {response.status_code}")
        try:
            return response.json()["choices"][0]["message"]["content"].strip()
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise ProviderFailed("the model server's answer could not be read") from exc
