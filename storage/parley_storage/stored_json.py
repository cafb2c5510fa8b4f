"""The JSON an event log stored an event as, kept for that event's one publish, so a
post is serialised once rather than again for JetStream (the two are the same contract
JSON: `exclude_none`, by alias).

Kept by the event's identity, together with the event, so an entry never answers for
another object; `take` hands it out once. Entries of events never published by this
process (a unit rolled back, a publish that went to the republisher) go once more than
`KEEP` are held.
"""

KEEP = 4096


class StoredJson:
    """One log's kept JSON (`EventLog.stored_json` hands it out)."""

    def __init__(self) -> None:
        self._kept: dict[int, tuple[object, str]] = {}

    def keep(self, event: object, body: str) -> None:
        self._kept[id(event)] = (event, body)
        if len(self._kept) > KEEP:
            del self._kept[next(iter(self._kept))]  # the oldest: dicts keep insertion order

    def take(self, event: object) -> bytes | None:
        """The event's stored JSON if it was kept and not taken yet; else None (encode it)."""
        entry = self._kept.pop(id(event), None)
        return entry[1].encode() if entry is not None else None
