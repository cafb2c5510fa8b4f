"""Signed-in HTTP clients for end-to-end tests: one registered user each."""

import httpx

PASSWORD = "correct horse battery"


async def signed_in(base_url: str, username: str) -> tuple[httpx.AsyncClient, dict]:
    """A client carrying the new user's session cookie, and the user."""
    client = httpx.AsyncClient(base_url=base_url)
    response = await client.post(
        "/api/auth/register", json={"username": username, "password": PASSWORD, "name": username.title()}
    )
    response.raise_for_status()
    return client, response.json()
