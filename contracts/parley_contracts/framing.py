"""How frames ride WebSocket messages on `/ws/chat` and `/messagepal`.

By default each text message carries one JSON frame, as the seed's clients
(PersonalLearningPro's chat hooks, which Parley stays compatible with) read them. A
client that offers the `parley.lines` subprotocol in its handshake, and sees the edge
accept it, reads one or more frames per text message instead, one per line (JSON
never holds a raw newline): a message and its `unread_updated`, or the events a busy
channel gathered while the edge was behind, then cost one message instead of several,
as in Centrifugo's JSON protocol.
"""

LINES_SUBPROTOCOL = "parley.lines"
