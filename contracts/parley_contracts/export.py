"""Writes the contracts as JSON Schema and an AsyncAPI 3 document.

`python -m parley_contracts.export [DIR]` writes `contracts/schemas/` by default.
The output is deterministic so a test can compare the committed copy with a fresh one.
"""

import inspect
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import models_json_schema

from . import (
    auth,
    chat,
    chat_frames,
    dm,
    errors,
    http,
    message_change_frames,
    message_changes,
    messagepal_frames,
    replies,
    signals,
    subjects,
    threads,
    unread,
)  # fmt: skip
from .base import Contract

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "schemas"
MODULES: tuple[ModuleType, ...] = (
    auth, chat, dm, signals, errors, replies, http, chat_frames, messagepal_frames,
    message_changes, message_change_frames,
    threads, unread,
)  # fmt: skip
FRAME_UNIONS: dict[str, TypeAdapter[Any]] = {
    "ChatClientFrame": chat_frames.chat_client_frame,
    "ChatServerFrame": chat_frames.chat_server_frame,
    "MessagePalClientFrame": messagepal_frames.messagepal_client_frame,
    "MessagePalServerFrame": messagepal_frames.messagepal_server_frame,
}


def models_of(module: ModuleType) -> list[type[BaseModel]]:
    return [
        obj
        for _, obj in inspect.getmembers(module, inspect.isclass)
        if issubclass(obj, Contract) and obj.__module__ == module.__name__
    ]


def module_schema(module: ModuleType) -> dict[str, Any]:
    models = models_of(module)
    _, schema = models_json_schema([(m, "validation") for m in models], title=module.__name__)
    schema["description"] = inspect.getdoc(module)
    return schema


def union_schema(adapter: TypeAdapter[Any]) -> dict[str, Any]:
    return adapter.json_schema()


def _key(subject: str) -> str:
    return subject.replace(".", "_").replace("{", "").replace("}", "").replace(">", "all")


def _repeats(command: subjects.Command[Any, Any]) -> str:
    """What the description says of sending a command again (the bus does when it is late)."""
    if command.idempotency_key is not None:
        field = command.request.model_fields[command.idempotency_key].alias or command.idempotency_key
        return f" Idempotent when `{field}` is set: a late request may be sent again."
    return " Idempotent: a late request may be sent again." if command.idempotent else ""


def asyncapi() -> dict[str, Any]:
    models: dict[str, type[BaseModel]] = {}
    for command in subjects.COMMANDS:
        models[command.request.__name__] = command.request
        models[command.reply.__name__] = command.reply
    for topic in subjects.TOPICS:
        models[topic.model.__name__] = topic.model
    models["OkReply"] = replies.OkReply
    models["ErrorReply"] = replies.ErrorReply
    refs, schema = models_json_schema(
        [(m, "validation") for m in models.values()], ref_template="#/components/schemas/{model}"
    )
    name_of = {model: refs[(model, "validation")]["$ref"].rsplit("/", 1)[1] for model in models.values()}

    channels: dict[str, dict[str, Any]] = {}
    operations: dict[str, dict[str, Any]] = {}
    messages: dict[str, dict[str, Any]] = {}

    def message(model: type[BaseModel]) -> dict[str, Any]:
        name = name_of[model]
        messages[name] = {"name": name, "payload": {"$ref": f"#/components/schemas/{name}"}}
        return {"$ref": f"#/components/messages/{name}"}

    for command in subjects.COMMANDS:
        key = _key(command.subject)
        channels[key] = {
            "address": command.subject,
            "messages": {name_of[command.request]: message(command.request)},
            "description": f"Request/reply, queue group `{command.service}`.{_repeats(command)}",
        }
        channels[f"{key}_reply"] = {
            "address": None,
            "messages": {
                "OkReply": message(replies.OkReply),
                "ErrorReply": message(replies.ErrorReply),
            },
            "description": f"Reply envelope; `data` is {name_of[command.reply]}.",
        }
        operations[key] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{key}"},
            "reply": {"channel": {"$ref": f"#/channels/{key}_reply"}},
        }
    for topic in subjects.TOPICS:
        key = _key(topic.template)
        channels[key] = {
            "address": topic.template,
            "messages": {name_of[topic.model]: message(topic.model)},
            "parameters": {name: {"description": f"The {name}."} for name in topic.params},
            "description": "Captured by JetStream EVENTS." if topic.durable else "Core NATS only, never stored.",
        }
        operations[f"publish_{key}"] = {"action": "send", "channel": {"$ref": f"#/channels/{key}"}}
    for channel in channels.values():
        if not channel.get("parameters"):
            channel.pop("parameters", None)
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Parley NATS subjects", "version": "0.1.0"},
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schema.get("$defs", {})},
    }


def documents() -> dict[str, dict[str, Any]]:
    """Every exported document by file name."""
    docs = {f"{m.__name__.rsplit('.', 1)[1]}.schema.json": module_schema(m) for m in MODULES}
    docs.update({f"{name}.schema.json": union_schema(a) for name, a in FRAME_UNIONS.items()})
    docs["asyncapi.json"] = asyncapi()
    return docs


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def write(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.json"):
        stale.unlink()
    written = []
    for name, document in documents().items():
        path = directory / name
        path.write_text(render(document))
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DIR
    for path in write(target):
        print(path)
