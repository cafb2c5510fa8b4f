"""An edge serving TLS: the HTTP API over https and sockets over wss, where frames are
written straight to the TLS transport."""

import ssl
import subprocess

import httpx
import pytest

from parley_client import FrameSocket
from parley_stack.processes import service, wait_all
from parley_testkit.waiting import until


@pytest.fixture
def certificate(tmp_path) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1, made with the machine's openssl."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return str(cert), str(key)


async def test_https_and_wss_carry_frames_of_every_length(nats_url, tmp_path, auth_process, chat_process, certificate):
    cert, key = certificate
    edge = service("edge", nats_url, tmp_path, tls_certfile=cert, tls_keyfile=key).spawn()
    trust = ssl.create_default_context(cafile=cert)
    base_url = edge.base_url.replace("http://", "https://")
    try:
        wait_all(auth_process, chat_process)
        async with httpx.AsyncClient(base_url=base_url, verify=trust) as client:

            async def ready() -> bool:
                if edge.proc.poll() is not None:
                    pytest.fail(f"the TLS edge exited:\n{edge.logs()[-3000:]}", pytrace=False)
                try:
                    return (await client.get("/readyz")).status_code == 200
                except httpx.TransportError:
                    return False

            await until(ready, timeout_s=30)
            body = {"username": "tina", "password": "tls-password-1", "name": "Tina"}
            assert (await client.post("/api/auth/register", json=body)).status_code == 201
            workspace = (await client.post("/api/workspaces", json={"name": "Secure"})).json()
            channel = (await client.post(f"/api/workspaces/{workspace['id']}/channels", json={"name": "c"})).json()
            cookie = f"connect.sid={client.cookies['connect.sid']}"
            socket = await FrameSocket.open(base_url, cookie=cookie, ssl=trust)
            await socket.next("connected")
            await socket.send({"type": "join_channel", "channelId": channel["id"]})
            await socket.next("joined_channel")
            contents = ["s", "m" * 1000, "l" * 3900]
            for content in contents:
                posted = await client.post("/api/messages", json={"channelId": channel["id"], "content": content})
                assert posted.status_code == 201
            await socket.next("new_message", seq=3, timeout=10)
            assert [frame["message"]["content"] for frame in socket.of_type("new_message")] == contents
            await socket.close()
    finally:
        edge.stop()
