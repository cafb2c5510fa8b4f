"""The stored JSON kept for an event's publish: handed out once, for that very object,
and never more than `KEEP` held."""

from parley_storage.stored_json import KEEP, StoredJson


class Event:
    """Any object: equal ones are still different events to the store."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Event)

    __hash__ = object.__hash__


def test_the_json_kept_for_an_event_is_taken_once_and_only_for_it():
    stored_json = StoredJson()
    event, equal = Event(), Event()
    stored_json.keep(event, '{"a":"é"}')
    assert stored_json.take(equal) is None
    assert stored_json.take(event) == '{"a":"é"}'.encode()
    assert stored_json.take(event) is None


def test_the_oldest_go_once_more_than_keep_are_held():
    stored_json = StoredJson()
    events = [Event() for _ in range(KEEP + 1)]
    for n, event in enumerate(events):
        stored_json.keep(event, str(n))
    assert stored_json.take(events[0]) is None
    assert stored_json.take(events[1]) == b"1"
    assert stored_json.take(events[-1]) == str(KEEP).encode()
