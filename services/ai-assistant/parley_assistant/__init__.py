"""Parley's AI assistant: a durable JetStream consumer of channel messages that answers
the ones mentioning it, as a real user, through the same post command as anyone."""
