"""A ready-made team for socket tests: users with sessions, a workspace and a channel."""

from dataclasses import dataclass

import httpx

from parley_edge.http.cookies import COOKIE_NAME

from .users import signed_in


@dataclass
class Person:
    client: httpx.AsyncClient
    user: dict

    @property
    def id(self) -> int:
        return self.user["id"]

    @property
    def cookie(self) -> str:
        return f"{COOKIE_NAME}={self.client.cookies[COOKIE_NAME]}"


@dataclass
class Team:
    base_url: str
    owner: Person
    member: Person
    outsider: Person
    workspace_id: int
    channel_id: int

    async def close(self) -> None:
        for person in (self.owner, self.member, self.outsider):
            await person.client.aclose()


async def make_team(base_url: str) -> Team:
    owner, member, outsider = [Person(*await signed_in(base_url, name)) for name in ("olivia", "max", "eve")]
    workspace = (await owner.client.post("/api/workspaces", json={"name": "Acme"})).json()
    await owner.client.post(f"/api/workspaces/{workspace['id']}/members", json={"userId": member.id})
    channel = (await owner.client.post(f"/api/workspaces/{workspace['id']}/channels", json={"name": "general"})).json()
    return Team(base_url, owner, member, outsider, workspace["id"], channel["id"])
