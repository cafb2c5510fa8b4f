"""Parley's chat service: workspaces, channels and memberships (the directory) and each
channel's event stream. Answers `chat.cmd.*` in the `chat` queue group; publishes
`chat.evt.<channelId>.<type>` after each event is persisted."""
