"""NATS users and their subject permissions, derived from the contracts.

Each service may subscribe to its own commands, publish only its own events, read
replies only under its own inbox prefix (`reply_inbox`), and use only the JetStream API
subjects its work needs: chat and dm keep the `EVENTS` stream (info, create, and update
for its retention), the assistant reads its one durable consumer and the presence bucket,
auth keeps its login-count bucket and the edge the presence bucket. Nobody may delete
or purge a stream, list them, or make a consumer of its choosing on `EVENTS`.

`python -m parley_stack.nats_permissions` prints the server configuration that compose
mounts (`deploy/nats/nats.conf`); a test keeps the committed file equal to a fresh one.
The passwords are not in it: it includes `secrets/passwords.conf`, which
`python -m parley_stack.nats_passwords` writes from the services' secrets.
"""

from typing import Any

from parley_contracts import subjects as s

API = "$JS.API"
EVENTS = s.EVENTS_STREAM
ASSISTANT_DURABLE = "assistant"
PASSWORDS_FILE = "secrets/passwords.conf"

REQUESTS: dict[str, list[s.Command[Any, Any]]] = {
    "auth": [],
    "chat": [s.AUTH_GET_USERS, s.AUTH_FIND_USER],
    "dm": [s.AUTH_GET_USERS],
    "edge": [c for c in s.COMMANDS],
    "assistant": [s.AUTH_REGISTER, s.AUTH_FIND_USER, s.AUTH_GET_USERS, s.CHAT_HISTORY, s.CHAT_POST_MESSAGE],
}
PUBLISHES: dict[str, list[s.Topic[Any]]] = {
    "auth": [s.AUTH_SESSION_ENDED],
    "chat": [t for t in s.TOPICS if t.template.startswith("chat.evt.")],
    "dm": [t for t in s.TOPICS if t.template.startswith("dm.evt.")],
    "edge": [s.CHAT_TYPING, s.CHAT_PRESENCE, s.DM_TYPING],
    "assistant": [s.CHAT_TYPING],
}
LISTENS: dict[str, list[str]] = {
    "auth": [],
    "chat": [],
    "dm": [],
    "assistant": [],
    "edge": [
        s.CHAT_CHANNEL_EVENTS.wildcard(),
        s.DM_USER_EVENTS.wildcard(),
        *[t.wildcard() for t in PUBLISHES["edge"]],
        s.AUTH_SESSION_ENDED.wildcard(),
    ],
}
"""Subject patterns each service subscribes to, as it subscribes (a channel's `>`)."""
STREAMS_KEPT = {"chat": [EVENTS], "dm": [EVENTS]}
"""Streams a service creates if missing and updates to its retention settings."""
BUCKETS = {"auth": {"login_failures": "keeps"}, "edge": {"presence": "writes"}, "assistant": {"presence": "reads"}}
"""Key-value buckets: `keeps` (creates, updates its TTL, reads, writes), `writes` (creates
if missing, reads, writes, watches), `reads` (a key's entry, and which keys there are)."""
DURABLES = {"assistant": [(EVENTS, ASSISTANT_DURABLE, s.CHAT_MESSAGE_POSTED.wildcard())]}
"""Durable consumers (stream, name, filter) a service creates, reads and acknowledges."""


def jetstream_api(service: str) -> list[str]:
    """The `$JS.*` subjects `service` may publish to."""
    allowed = []
    for stream in STREAMS_KEPT.get(service, []):
        allowed += [f"{API}.STREAM.{verb}.{stream}" for verb in ("INFO", "CREATE", "UPDATE")]
    for bucket, use in BUCKETS.get(service, {}).items():
        stream = f"KV_{bucket}"
        verbs = {"keeps": ("INFO", "CREATE", "UPDATE"), "writes": ("INFO", "CREATE"), "reads": ("INFO",)}[use]
        allowed += [f"{API}.STREAM.{verb}.{stream}" for verb in verbs]
        allowed += [f"{API}.DIRECT.GET.{stream}.>", f"{API}.STREAM.MSG.GET.{stream}"]
        if use != "reads":
            # Watchers are ordered consumers: made without a name, dropped when done.
            allowed += [f"{API}.CONSUMER.{verb}.{stream}.*" for verb in ("INFO", "DELETE")]
            allowed += [f"{API}.CONSUMER.CREATE.{stream}", f"$KV.{bucket}.>"]
    for stream, name, filter_subject in DURABLES.get(service, []):
        # The filter is part of the subject and the server holds the request to it, so this
        # consumer can be made on this filter only (never on dm.evt.>, say).
        allowed += [
            f"{API}.CONSUMER.CREATE.{stream}.{name}.{filter_subject}",
            f"{API}.CONSUMER.INFO.{stream}.{name}",
            f"{API}.CONSUMER.MSG.NEXT.{stream}.{name}",
            f"$JS.ACK.{stream}.{name}.>",
        ]
    return allowed


def among_copies(service: str) -> list[str]:
    """What a service's copies say to each other: that each is alive, and the commands
    one hands to the copy that owns their stream (`parley_runtime.owners`)."""
    owned = [c.at("*") for c in s.COMMANDS if c.service == service and c.stream_of is not None]
    return [s.INSTANCE_ALIVE.subject(service=service), *owned] if owned else []


def permissions(service: str) -> dict[str, list[str]]:
    publish = [c.subject for c in REQUESTS[service]] + [t.wildcard() for t in PUBLISHES[service]]
    publish += jetstream_api(service) + among_copies(service)
    subscribe = [c.subject for c in s.COMMANDS if c.service == service] + LISTENS[service] + among_copies(service)
    subscribe.append(f"{s.reply_inbox(service)}.>")
    return {"publish": sorted(set(publish)), "subscribe": sorted(set(subscribe))}


def password_variable(service: str) -> str:
    return f"{service.upper()}_NATS_PASSWORD"


def _quoted(items: list[str]) -> str:
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


def server_config(store_dir: str = "/data", port: int = 4222, http_port: int = 8222) -> str:
    users = []
    for service in REQUESTS:
        rules = permissions(service)
        users.append(
            f"    {{user: {service}, password: ${password_variable(service)}, permissions: {{\n"
            f"      publish: {_quoted(rules['publish'])}\n"
            f"      subscribe: {_quoted(rules['subscribe'])}\n"
            f"      allow_responses: true\n"
            f"    }}}}"
        )
    return (
        "# Generated by `python -m parley_stack.nats_permissions` from parley_contracts; do not edit.\n"
        f"# Passwords are variables defined in {PASSWORDS_FILE} (`python -m parley_stack.nats_passwords`).\n"
        f'include "{PASSWORDS_FILE}"\n'
        f"port: {port}\n"
        "# Monitoring, on loopback: for the healthcheck inside the container, not for the edges.\n"
        f'http: "127.0.0.1:{http_port}"\n'
        f"jetstream {{\n  store_dir: {store_dir}\n  sync_interval: always\n}}\n"
        "authorization {\n  users: [\n" + ",\n".join(users) + "\n  ]\n}\n"
    )


if __name__ == "__main__":
    print(server_config(), end="")
