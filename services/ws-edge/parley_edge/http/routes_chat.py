"""The chat part of the public HTTP API, on the paths of the seed (PersonalLearningPro's
chat API, which Parley stays compatible with): each route is one chat command with the
acting user taken from the session."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.requests import HTTPConnection

from parley_contracts import auth, chat, subjects
from parley_contracts.base import JS_SAFE_MAX
from parley_contracts.http import (
    AddMemberBody,
    CreateChannelBody,
    CreateWorkspaceBody,
    MarkReadBody,
    NewChannelBody,
    Ok,
    OpenDirectBody,
    PostMessageBody,
)

from ..fanout.unread import tell_reader
from .sessions import current_session

router = APIRouter()
Session = Annotated[auth.SessionValid, Depends(current_session)]
IdPath = Annotated[int, Path(ge=1, le=JS_SAFE_MAX)]


async def ask(connection: HTTPConnection, command: subjects.Command, payload):
    return await connection.app.state.bus.request(command, payload)


async def post(connection: HTTPConnection, session: auth.SessionValid, draft: PostMessageBody) -> chat.ChannelMessage:
    """A post by the session's user: the route below and the post route (`post_route`,
    which serves well-formed posts ahead of FastAPI) both post through this."""
    command = chat.PostMessage.from_draft(session.user.id, draft)
    return (await ask(connection, subjects.CHAT_POST_MESSAGE, command)).message


# The posts `post_route` passes on: a body that is not JSON or does not validate, which
# FastAPI refuses in its order (undecodable JSON, then the session, then the fields).
@router.post("/api/messages", status_code=201, response_model_exclude_none=True)
async def post_message(body: PostMessageBody, session: Session, request: Request) -> chat.ChannelMessage:
    return await post(request, session, body)


@router.post("/api/workspaces", status_code=201, response_model_exclude_none=True)
async def create_workspace(body: CreateWorkspaceBody, session: Session, request: Request) -> chat.Workspace:
    command = chat.CreateWorkspace(actor_id=session.user.id, name=body.name, description=body.description)
    return await ask(request, subjects.CHAT_CREATE_WORKSPACE, command)


@router.get("/api/workspaces", response_model_exclude_none=True)
async def list_workspaces(session: Session, request: Request) -> list[chat.Workspace]:
    found = await ask(request, subjects.CHAT_LIST_WORKSPACES, chat.ListWorkspaces(actor_id=session.user.id))
    return found.workspaces


@router.get("/api/workspaces/{workspace_id}", response_model_exclude_none=True)
async def get_workspace(workspace_id: IdPath, session: Session, request: Request) -> chat.WorkspaceDetail:
    command = chat.GetWorkspace(actor_id=session.user.id, workspace_id=workspace_id)
    return await ask(request, subjects.CHAT_GET_WORKSPACE, command)


@router.post("/api/workspaces/{workspace_id}/members", status_code=201)
async def add_member(workspace_id: IdPath, body: AddMemberBody, session: Session, request: Request) -> chat.Member:
    command = chat.AddMember(actor_id=session.user.id, workspace_id=workspace_id, user_id=body.user_id, role=body.role)
    return await ask(request, subjects.CHAT_ADD_MEMBER, command)


@router.delete("/api/workspaces/{workspace_id}/members/{user_id}")
async def remove_member(workspace_id: IdPath, user_id: IdPath, session: Session, request: Request) -> Ok:
    command = chat.RemoveMember(actor_id=session.user.id, workspace_id=workspace_id, user_id=user_id)
    await ask(request, subjects.CHAT_REMOVE_MEMBER, command)
    return Ok()


@router.post("/api/workspaces/{workspace_id}/channels", status_code=201, response_model_exclude_none=True)
async def create_channel(
    workspace_id: IdPath, body: CreateChannelBody, session: Session, request: Request
) -> chat.Channel:
    command = chat.CreateChannel(actor_id=session.user.id, workspace_id=workspace_id, name=body.name, type=body.type)
    return await ask(request, subjects.CHAT_CREATE_CHANNEL, command)


@router.post("/api/channels", status_code=201, response_model_exclude_none=True)
async def create_channel_in(body: NewChannelBody, session: Session, request: Request) -> chat.Channel:
    """The seed's form: the workspace in the body."""
    return await create_channel(body.workspace_id, body, session, request)


@router.get("/api/workspaces/{workspace_id}/channels", response_model_exclude_none=True)
async def list_channels(workspace_id: IdPath, session: Session, request: Request) -> list[chat.Channel]:
    command = chat.ListChannels(actor_id=session.user.id, workspace_id=workspace_id)
    return (await ask(request, subjects.CHAT_LIST_CHANNELS, command)).channels


@router.get("/api/channels/{channel_id}/messages", response_model_exclude_none=True)
@router.get("/api/messages/{channel_id}", response_model_exclude_none=True)  # the seed's path of it
async def history(
    channel_id: IdPath,
    session: Session,
    request: Request,
    before: Annotated[int | None, Query(ge=1, le=JS_SAFE_MAX)] = None,
    after: Annotated[int | None, Query(ge=0, le=JS_SAFE_MAX)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> list[chat.ChannelMessage]:
    command = chat.GetHistory(actor_id=session.user.id, channel_id=channel_id, before=before, after=after, limit=limit)
    return (await ask(request, subjects.CHAT_HISTORY, command)).messages


@router.post("/api/messages/{message_id}/read")
async def mark_read(message_id: IdPath, body: MarkReadBody, session: Session, request: Request) -> Ok:
    command = chat.MarkRead(actor_id=session.user.id, channel_id=body.channel_id, message_id=message_id)
    marked = await ask(request, subjects.CHAT_MARK_READ, command)
    tell_reader(request.app.state.edge.channels, session.user.id, body.channel_id, marked)
    return Ok()


# Direct channels: chat's two-person channels (the seed's `/api/channels/dm`), not the
# dm service's conversations, which `/messagepal` and `routes_messagepal` serve.


@router.post("/api/channels/dm", status_code=201, response_model_exclude_none=True)
async def open_direct_channel(body: OpenDirectBody, session: Session, request: Request) -> chat.Channel:
    command = chat.OpenDirectChannel(actor_id=session.user.id, other_user_id=body.user_id)
    return await ask(request, subjects.CHAT_OPEN_DIRECT_CHANNEL, command)


@router.get("/api/users/me/dms", response_model_exclude_none=True)
async def list_direct_channels(session: Session, request: Request) -> list[chat.Channel]:
    command = chat.ListDirectChannels(actor_id=session.user.id)
    return (await ask(request, subjects.CHAT_LIST_DIRECT_CHANNELS, command)).channels
