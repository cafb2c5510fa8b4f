"""The WebSocket side of the edge: admission, one socket's transport (`Connection`,
`Wire`), the read loop and the two dialects that differ in their frames (`/ws/chat`
flat, `/messagepal` envelopes), the frames themselves and the registry of open sockets."""
