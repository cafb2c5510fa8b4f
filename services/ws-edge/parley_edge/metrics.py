"""Prometheus metrics of the edge, served on `/metrics`."""

from prometheus_client import Counter, Gauge, Histogram

OPEN_SOCKETS = Gauge("parley_edge_open_sockets", "Open WebSocket connections", ["path"])
FRAMES_IN = Counter("parley_edge_frames_in_total", "Frames received from clients", ["type"])
FRAMES_OUT = Counter("parley_edge_frames_out_total", "Event frames queued to sockets", ["type"])
QUEUE_DROPS = Counter("parley_edge_queue_drops_total", "Typing/presence frames dropped for slow sockets")
SLOW_CLOSES = Counter("parley_edge_slow_socket_closes_total", "Sockets closed with 1013 for not keeping up")
GAP_FILLS = Counter("parley_edge_gap_fills_total", "Live seq jumps filled from chat's store")
RATE_LIMITED = Counter("parley_edge_rate_limited_total", "Frames refused by a rate limit", ["kind"])
FANOUT_LATENCY = Histogram(
    "parley_edge_fanout_latency_seconds",
    "From an event's creation to its frame being queued to local sockets",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
