"""Serving the edge in this process: uvicorn with the edge's HTTP and WebSocket protocols,
on its own port or on one shared with other workers."""

import socket

import uvicorn
from fastapi import FastAPI

from parley_runtime import collector

from .app import SocketPaths, create_app
from .http.protocol import http_protocol
from .settings import EdgeSettings
from .sockets.wire import WireProtocol

GRACEFUL_SHUTDOWN_S = 10
"""How long uvicorn waits for requests under way on SIGTERM; the bus's drain follows."""


class EdgeServer(uvicorn.Server):
    """Closes sockets with 1001 (go away: reconnect elsewhere) before uvicorn's own shutdown."""

    def __init__(self, config: uvicorn.Config, app: FastAPI):
        super().__init__(config)
        self.edge_app = app

    async def shutdown(self, sockets=None) -> None:
        edge = getattr(self.edge_app.state, "edge", None)
        if edge is not None:
            await edge.close_sockets()
        await super().shutdown(sockets)


def serve(settings: EdgeSettings) -> None:
    collector.tune()
    app = create_app(settings)
    config = uvicorn.Config(
        SocketPaths(app),
        host=settings.host,
        port=settings.port,
        ssl_certfile=settings.tls_certfile,
        ssl_keyfile=settings.tls_keyfile,
        access_log=False,
        http=http_protocol(settings.max_header_bytes),
        timeout_keep_alive=settings.keep_alive_s,
        proxy_headers=bool(settings.proxies),
        forwarded_allow_ips=settings.proxies,
        log_config=None,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        ws_max_size=settings.max_frame_bytes,
        ws_ping_interval=settings.ping_interval_s,
        ws_ping_timeout=settings.ping_timeout_s,
        ws=WireProtocol,
        ws_per_message_deflate=False,  # frames are encoded once for every socket
    )
    collector.freeze_start_up()  # what the imports and the app built stays for the whole run
    EdgeServer(config, app).run(sockets=[shared_port(config)] if settings.reuse_port else None)


def shared_port(config: uvicorn.Config) -> socket.socket:
    """The listening socket of one of several edges on the same port."""
    family, kind, proto, _, address = socket.getaddrinfo(
        config.host, config.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    sock.listen(config.backlog)
    return sock
