"""The JSON an adapter stored an event as, kept for that event's one publish, so a
post is serialised once rather than again for JetStream (the two are the same contract
JSON: `exclude_none`, by alias).

Kept by the event's identity, together with the event, so an entry never answers for
another object; `take` hands it out once. Entries of events never published by this
process (a unit rolled back, a publish that went to the republisher) go once more than
`KEEP` are held.
"""

KEEP = 4096
_kept: dict[int, tuple[object, str]] = {}


def keep(event: object, body: str) -> None:
    _kept[id(event)] = (event, body)
    if len(_kept) > KEEP:
        del _kept[next(iter(_kept))]  # the oldest: dicts keep insertion order


def take(event: object) -> bytes | None:
    """The event's stored JSON if it was kept and not taken yet; else None (encode it)."""
    entry = _kept.pop(id(event), None)
    return entry[1].encode() if entry is not None else None
