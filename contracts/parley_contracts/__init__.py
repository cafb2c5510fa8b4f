"""Parley's contracts: the one place every wire shape is declared.

Client frames (`chat_frames`, `messagepal_frames`), NATS commands and replies
(`auth`, `chat`, `dm`), events, ephemeral signals (`signals`) and the subjects that
carry them (`subjects`). Services and tests import these; nobody re-declares a shape.
"""
