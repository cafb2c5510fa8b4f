"""A stand-in for an OpenAI-compatible model server, over real HTTP on loopback."""

import asyncio
import json


class FakeModelServer:
    """Answers POST /v1/chat/completions with a scripted reply, and records requests."""

    def __init__(self):
        self.requests: list[dict] = []
        self.mode = "ok"
        self.server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/v1"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        headers = {k.lower(): v for k, _, v in (line.partition(": ") for line in lines[1:] if line)}
        body = json.loads(await reader.readexactly(int(headers["content-length"])))
        self.requests.append({"path": lines[0].split()[1], "headers": headers, "body": body})
        if self.mode == "slow":
            await asyncio.sleep(5)
        payload: dict[str, object]
        status, payload = (200, {"choices": [{"message": {"role": "assistant", "content": " Deploy on Friday. "}}]})
        if self.mode == "error":
            status, payload = 500, {"error": {"message": "overloaded"}}
        data = json.dumps(payload).encode()
        writer.write(
            f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {len(data)}\r\n\r\n".encode()
            + data
        )
        await writer.drain()
        writer.close()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
