"""Parley's benchmarks (`make bench`, `make bench-quick`): scenarios that load a running
stack from a separate process and report rates, latencies, loss and memory."""
