"""Parley's edge: terminates sockets and the public HTTP API, turns them into NATS
commands, and pushes fan-out events back to sockets. Holds no domain logic."""
