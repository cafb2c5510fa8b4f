"""`make demo`: two users, a workspace with channels, a few messages and a DM on a
running stack, then how to log in. Safe to run twice: existing users just log in."""

import argparse
import asyncio

import httpx

PASSWORD = "parley-demo-1"
USERS = ({"username": "ada", "name": "Ada Lovelace"}, {"username": "bob", "name": "Bob Kahn"})


async def signed_in(base_url: str, user: dict) -> tuple[httpx.AsyncClient, dict]:
    client = httpx.AsyncClient(base_url=base_url, timeout=15)
    registered = await client.post("/api/auth/register", json={**user, "password": PASSWORD})
    if registered.status_code == 409:
        registered = await client.post("/api/auth/login", json={"username": user["username"], "password": PASSWORD})
    registered.raise_for_status()
    return client, registered.json()


async def demo(base_url: str) -> None:
    (ada, _), (bob, bob_user) = [await signed_in(base_url, user) for user in USERS]
    workspaces = (await ada.get("/api/workspaces")).json()
    if not any(w["name"] == "Parley demo" for w in workspaces):
        workspace = (await ada.post("/api/workspaces", json={"name": "Parley demo"})).json()
        await ada.post(f"/api/workspaces/{workspace['id']}/members", json={"userId": bob_user["id"]})
        general = (await ada.post(f"/api/workspaces/{workspace['id']}/channels", json={"name": "general"})).json()
        await ada.post(f"/api/workspaces/{workspace['id']}/channels", json={"name": "news", "type": "announcement"})
        await ada.post("/api/messages", json={"channelId": general["id"], "content": "Welcome to Parley!"})
        await bob.post("/api/messages", json={"channelId": general["id"], "content": "Glad to be here."})
        await ada.post("/api/channels/dm", json={"userId": bob_user["id"]})
    for client in (ada, bob):
        await client.aclose()
    print(f"Parley demo ready at {base_url}")
    for user in USERS:
        print(f"  log in as {user['username']} / {PASSWORD}:  POST {base_url}/api/auth/login")
    print(f"  then open ws{base_url.removeprefix('http')}/ws/chat or /messagepal with the connect.sid cookie")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the running edge")
    asyncio.run(demo(parser.parse_args().url))


if __name__ == "__main__":
    main()
