"""What every Parley service shares and nothing more: settings, logging, the NATS
bus that speaks contract models, graceful shutdown, and health endpoints.
No business logic lives here."""
