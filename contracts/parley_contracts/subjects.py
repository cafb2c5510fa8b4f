"""Every NATS subject Parley uses, each bound to the contract model it carries.

Three kinds: commands (request/reply, one queue group per service), events (captured
by the JetStream `EVENTS` stream) and signals (core NATS only, never stored). Nothing
is published on a subject that is not declared here.
"""

import string
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, TypeAdapter

from . import auth, chat, dm, message_changes, signals, threads, unread
from .replies import Empty

Request = TypeVar("Request", bound=BaseModel)
Response = TypeVar("Response", bound=BaseModel)
Model = TypeVar("Model", bound=BaseModel)

EVENTS_STREAM = "EVENTS"
EVENTS_STREAM_SUBJECTS = ("chat.evt.>", "dm.evt.>")


def reply_inbox(client: str) -> str:
    """Where a client's requests are answered: `_INBOX.<client>.…`. Each service's NATS user
    may subscribe under its own prefix only, so nobody reads another's replies."""
    return f"_INBOX.{client}"


@dataclass(frozen=True)
class Command(Generic[Request, Response]):
    """A request/reply subject served by one service's queue group."""

    subject: str
    request: type[Request]
    reply: type[Response]
    idempotent: bool = False
    """Handling it twice changes nothing more than once (reads, set-like writes)."""
    idempotency_key: str | None = None
    """A request field that, when set, makes a repeat answer with the first outcome."""
    stream_of: Callable[[Request], object] | None = None
    """The stream a request appends to: the service's copy that owns it handles it
    (`parley_runtime.owners`), so copies do not contend for one stream."""

    @property
    def service(self) -> str:
        return self.subject.split(".", 1)[0]

    def at(self, instance: str) -> str:
        """The subject on which one copy of the service (`instance`) serves this command alone."""
        return f"{self.subject}.{instance}"

    def repeatable(self, request: Request) -> bool:
        """May this request be sent again while an earlier copy may still be handled?"""
        if self.idempotency_key is not None and getattr(request, self.idempotency_key) is not None:
            return True
        return self.idempotent


@dataclass(frozen=True)
class Subject:
    """A subject template; `{name}` parts are filled per message."""

    template: str

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(name for _, name, _, _ in string.Formatter().parse(self.template) if name)

    def subject(self, **values: object) -> str:
        for name, value in values.items():
            if "." in str(value) or not str(value):
                raise ValueError(f"{name}={value!r} cannot be one subject token")
        return self.template.format(**values)

    def wildcard(self, **values: object) -> str:
        """The subject with given parts filled and every other part as `*`."""
        return self.template.format(**{name: values.get(name, "*") for name in self.params})


@dataclass(frozen=True)
class Topic(Subject, Generic[Model]):
    """A published subject and the model it carries."""

    model: type[Model]
    durable: bool

    @property
    def decoder(self) -> type[Model]:
        return self.model


@dataclass(frozen=True)
class TopicGroup(Subject):
    """Every event topic of one stream's owner (a channel, a user) as a subscriber takes
    them: one subject ending in `>`, and the union of the events it carries."""

    events: Any
    """A discriminated union of the event models."""

    @cached_property
    def decoder(self) -> TypeAdapter[Any]:
        return TypeAdapter(self.events)


def _changed_stream(request: Any) -> object:
    """The stream a change of a message appends to, for its owner among chat's copies: the
    channel when the request names it; one naming only its message goes to any copy."""
    return request.channel_id if request.channel_id is not None else f"message:{request.message_id}"


# Commands ----------------------------------------------------------------------
# Not idempotent: a repeat creates a second thing (register, log in, create), answers
# differently (remove, delete), or appends another event (edit, mark read).

AUTH_REGISTER = Command("auth.register", auth.RegisterUser, auth.User)
AUTH_LOGIN = Command("auth.login", auth.LogIn, auth.LoggedIn)
AUTH_LOGOUT = Command("auth.logout", auth.LogOut, Empty, idempotent=True)
AUTH_VALIDATE_SESSION = Command("auth.validate_session", auth.ValidateSession, auth.SessionValid, idempotent=True)
AUTH_GET_USERS = Command("auth.get_users", auth.GetUsers, auth.UserList, idempotent=True)
AUTH_FIND_USER = Command("auth.find_user", auth.FindUser, auth.User, idempotent=True)
AUTH_FIND_USERS = Command("auth.find_users", auth.FindUsers, auth.UserList, idempotent=True)

CHAT_CREATE_WORKSPACE = Command("chat.cmd.create_workspace", chat.CreateWorkspace, chat.Workspace)
CHAT_GET_WORKSPACE = Command("chat.cmd.get_workspace", chat.GetWorkspace, chat.WorkspaceDetail, idempotent=True)
CHAT_LIST_WORKSPACES = Command("chat.cmd.list_workspaces", chat.ListWorkspaces, chat.WorkspaceList, idempotent=True)
CHAT_ADD_MEMBER = Command("chat.cmd.add_member", chat.AddMember, chat.Member, idempotent=True)
CHAT_REMOVE_MEMBER = Command("chat.cmd.remove_member", chat.RemoveMember, Empty)
CHAT_SET_ASSISTANT = Command(
    "chat.cmd.set_assistant_enabled", chat.SetAssistantEnabled, chat.Workspace, idempotent=True
)
CHAT_CREATE_CHANNEL = Command("chat.cmd.create_channel", chat.CreateChannel, chat.Channel)
CHAT_LIST_CHANNELS = Command("chat.cmd.list_channels", chat.ListChannels, chat.ChannelList, idempotent=True)
# Direct channels are chat's two-person channels; DM conversations are the dm service's.
CHAT_OPEN_DIRECT_CHANNEL = Command("chat.cmd.open_dm", chat.OpenDirectChannel, chat.Channel, idempotent=True)
CHAT_LIST_DIRECT_CHANNELS = Command("chat.cmd.list_dms", chat.ListDirectChannels, chat.ChannelList, idempotent=True)
CHAT_AUTHORIZE_JOIN = Command("chat.cmd.authorize_join", chat.AuthorizeJoin, chat.JoinAuthorized, idempotent=True)
CHAT_POST_MESSAGE = Command(
    "chat.cmd.post_message", chat.PostMessage, chat.MessageAccepted, idempotency_key="client_msg_id",
    stream_of=lambda r: r.channel_id,
)  # fmt: skip
CHAT_EDIT_MESSAGE = Command("chat.cmd.edit_message", chat.EditMessage, chat.ChannelMessage, stream_of=_changed_stream)
CHAT_DELETE_MESSAGE = Command("chat.cmd.delete_message", chat.DeleteMessage, Empty, stream_of=_changed_stream)
CHAT_MARK_READ = Command("chat.cmd.mark_read", chat.MarkRead, unread.ReadMarked, stream_of=lambda r: r.channel_id)
CHAT_ADD_REACTION = Command(
    "chat.cmd.add_reaction", message_changes.AddReaction, Empty, idempotent=True, stream_of=_changed_stream
)
CHAT_REMOVE_REACTION = Command(
    "chat.cmd.remove_reaction", message_changes.RemoveReaction, Empty, idempotent=True, stream_of=_changed_stream
)
CHAT_PIN_MESSAGE = Command(
    "chat.cmd.pin_message", message_changes.PinMessage, Empty, idempotent=True, stream_of=lambda r: r.channel_id
)
CHAT_UNPIN_MESSAGE = Command(
    "chat.cmd.unpin_message", message_changes.UnpinMessage, Empty, idempotent=True, stream_of=lambda r: r.channel_id
)
CHAT_PINNED = Command("chat.cmd.pinned", message_changes.GetPinned, message_changes.PinnedMessages, idempotent=True)
CHAT_MARK_DELIVERED = Command(
    "chat.cmd.mark_delivered", message_changes.MarkDelivered, Empty, idempotent=True, stream_of=lambda r: r.channel_id
)
CHAT_UNREAD = Command("chat.cmd.unread", unread.GetUnread, unread.Unread, idempotent=True)
CHAT_UNREAD_ALL = Command("chat.cmd.unread_all", unread.GetAllUnread, unread.ChannelUnreadList, idempotent=True)
CHAT_HISTORY = Command("chat.cmd.history", chat.GetHistory, chat.History, idempotent=True)
CHAT_THREAD = Command("chat.cmd.thread", threads.GetThread, threads.Thread, idempotent=True)
CHAT_EVENTS_SINCE = Command("chat.cmd.events_since", chat.GetEventsSince, chat.EventBatch, idempotent=True)
CHAT_FEED_EVENTS = Command("chat.feed.events_since", chat.ReadChannelEvents, chat.EventBatch, idempotent=True)
"""The edge's own read, on a subject of its own: only the edge's NATS user may publish it."""

DM_SEND = Command(
    "dm.cmd.send", dm.SendDirectMessage, dm.DirectMessageAccepted, idempotency_key="client_msg_id",
    stream_of=lambda r: dm.conversation_id(r.actor_id, r.recipient_id),
)  # fmt: skip
DM_MARK_READ = Command("dm.cmd.mark_read", dm.MarkDirectRead, Empty)
DM_EDIT_MESSAGE = Command("dm.cmd.edit_message", dm.EditDirectMessage, dm.DirectMessage)
DM_DELETE_MESSAGE = Command("dm.cmd.delete_message", dm.DeleteDirectMessage, Empty)
DM_HISTORY = Command("dm.cmd.history", dm.GetDirectHistory, dm.DirectHistory, idempotent=True)
DM_AUTHORIZE = Command("dm.cmd.authorize", dm.AuthorizeConversation, dm.ConversationAuthorized, idempotent=True)
DM_EVENTS_SINCE = Command("dm.cmd.events_since", dm.GetDirectEventsSince, dm.DirectEventBatch, idempotent=True)
DM_FEED_EVENTS = Command("dm.feed.events_since", dm.ReadConversationEvents, dm.DirectEventBatch, idempotent=True)
DM_INBOX = Command("dm.cmd.inbox", dm.GetInbox, dm.Inbox, idempotent=True)
DM_BLOCK = Command("dm.cmd.block", dm.BlockUser, Empty, idempotent=True)
DM_UNBLOCK = Command("dm.cmd.unblock", dm.UnblockUser, Empty, idempotent=True)

# Events (durable, captured by EVENTS) ------------------------------------------

CHAT_MESSAGE_POSTED = Topic("chat.evt.{channel_id}.message_posted", chat.MessagePosted, durable=True)
CHAT_MESSAGE_EDITED = Topic("chat.evt.{channel_id}.message_edited", chat.MessageEdited, durable=True)
CHAT_MESSAGE_DELETED = Topic("chat.evt.{channel_id}.message_deleted", chat.MessageDeleted, durable=True)
CHAT_MESSAGE_READ = Topic("chat.evt.{channel_id}.message_read", chat.MessageRead, durable=True)
CHAT_REACTION_ADDED = Topic("chat.evt.{channel_id}.reaction_added", chat.ReactionAdded, durable=True)
CHAT_REACTION_REMOVED = Topic("chat.evt.{channel_id}.reaction_removed", chat.ReactionRemoved, durable=True)
CHAT_MESSAGE_PINNED = Topic("chat.evt.{channel_id}.message_pinned", chat.MessagePinned, durable=True)
CHAT_MESSAGE_UNPINNED = Topic("chat.evt.{channel_id}.message_unpinned", chat.MessageUnpinned, durable=True)
CHAT_MESSAGE_DELIVERED = Topic("chat.evt.{channel_id}.message_delivered", chat.MessageDelivered, durable=True)
CHAT_MEMBER_REMOVED = Topic("chat.evt.{channel_id}.member_removed", chat.MemberRemoved, durable=True)
CHAT_CHANNEL_EVENTS = TopicGroup("chat.evt.{channel_id}.>", chat.ChannelEvent)

DM_MESSAGE_SENT = Topic("dm.evt.user.{user_id}.direct_message_sent", dm.DirectMessageSent, durable=True)
DM_MESSAGE_READ = Topic("dm.evt.user.{user_id}.direct_message_read", dm.DirectMessageRead, durable=True)
DM_MESSAGE_EDITED = Topic("dm.evt.user.{user_id}.direct_message_edited", dm.DirectMessageEdited, durable=True)
DM_MESSAGE_DELETED = Topic("dm.evt.user.{user_id}.direct_message_deleted", dm.DirectMessageDeleted, durable=True)
DM_USER_EVENTS = TopicGroup("dm.evt.user.{user_id}.>", dm.ConversationEvent)

# Signals (core NATS, never stored) ---------------------------------------------

CHAT_TYPING = Topic("chat.typing.{channel_id}", signals.ChannelTyping, durable=False)
CHAT_PRESENCE = Topic("chat.presence.{channel_id}", signals.PresenceChanged, durable=False)
DM_TYPING = Topic("dm.typing.user.{user_id}", signals.DirectTyping, durable=False)
AUTH_SESSION_ENDED = Topic("auth.evt.session_ended", auth.SessionEnded, durable=False)
INSTANCE_ALIVE = Topic("{service}.instances", signals.InstanceAlive, durable=False)
"""Each copy of a service that owns streams says it is alive here, every second."""

COMMANDS: tuple[Command[Any, Any], ...] = tuple(v for v in dict(globals()).values() if isinstance(v, Command))
TOPICS: tuple[Topic[Any], ...] = tuple(v for v in dict(globals()).values() if isinstance(v, Topic))
CHANNEL_EVENT_TOPICS = {t.model.model_fields["type"].default: t for t in TOPICS if t.template.startswith("chat.evt.")}
