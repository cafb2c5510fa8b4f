"""Bodies of the public HTTP API that are not already a command's shape. "The seed"
is PersonalLearningPro's chat, whose routes Parley stays compatible with."""

from typing import Annotated, Literal

from pydantic import Field

from . import chat
from .base import Content, Contract, Id
from .errors import ErrorBody


class LoginBody(Contract):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=256)]


class ErrorResponse(Contract):
    """Every 4xx/5xx body."""

    error: ErrorBody


class Ok(Contract):
    ok: bool = True


class CreateWorkspaceBody(Contract):
    name: chat.Name
    description: Annotated[str, Field(max_length=500)] | None = None


class AddMemberBody(Contract):
    user_id: Id
    role: Literal[chat.WorkspaceRole.ADMIN, chat.WorkspaceRole.MEMBER] = chat.WorkspaceRole.MEMBER


class CreateChannelBody(Contract):
    name: chat.Name
    type: Literal[chat.ChannelType.TEXT, chat.ChannelType.ANNOUNCEMENT] = chat.ChannelType.TEXT


class NewChannelBody(CreateChannelBody):
    """`POST /api/channels`, the seed's form: the workspace in the body."""

    workspace_id: Id


class PostMessageBody(chat.MessageDraft):
    """`POST /api/messages`: the same command a socket's `send_message` becomes."""


class EditMessageBody(Contract):
    """`PATCH /api/messages/{id}`."""

    content: Content


class MarkReadBody(Contract):
    channel_id: Id


class OpenDirectBody(Contract):
    user_id: Id
