"""Hypothesis strategies that draw JSON values from the JSON Schemas our contracts export.

Covers the subset pydantic emits for Parley's models ($ref/$defs, objects, anyOf,
const/enum, strings with length, pattern or format, bounded integers, arrays). Used by
the contract round-trip tests and the socket fuzz tests.
"""

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def from_schema(schema: dict) -> st.SearchStrategy:
    return _strategy(schema, schema.get("$defs", {}))


def _strategy(node: dict, defs: dict) -> st.SearchStrategy:
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[1]
        return st.deferred(lambda: _strategy(defs[name], defs))
    if "const" in node:
        return st.just(node["const"])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    for key in ("anyOf", "oneOf"):
        if key in node:
            return st.one_of([_strategy(option, defs) for option in node[key]])
    kind = node.get("type")
    if kind == "object":
        return _object(node, defs)
    if kind == "array":
        return st.lists(
            _strategy(node.get("items", {}), defs),
            min_size=node.get("minItems", 0),
            max_size=min(node.get("maxItems", 5), 5),
        )
    if kind == "string":
        return _string(node)
    if kind == "integer":
        return st.integers(min_value=node.get("minimum", -(2**53)), max_value=node.get("maximum", 2**53))
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return st.none() | st.booleans() | st.integers() | st.text(max_size=10)


def _object(node: dict, defs: dict) -> st.SearchStrategy:
    properties = node.get("properties", {})
    if not properties and node.get("additionalProperties") not in (None, False):
        return st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8), max_size=3)
    required = set(node.get("required", []))
    return st.fixed_dictionaries(
        {name: _strategy(sub, defs) for name, sub in properties.items() if name in required},
        optional={name: _strategy(sub, defs) for name, sub in properties.items() if name not in required},
    )


def _string(node: dict) -> st.SearchStrategy:
    fmt = node.get("format")
    if fmt == "date-time":
        return st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3650)).map(
            lambda delta: (EPOCH + delta).isoformat()
        )
    if fmt == "email":
        return st.from_regex(r"[a-z]{1,10}@[a-z]{1,10}\.(com|org|net)", fullmatch=True)
    low, high = node.get("minLength", 0), min(node.get("maxLength", 40), 40)
    if "pattern" in node:
        return st.from_regex(node["pattern"], fullmatch=True).filter(
            lambda s: low <= len(s) <= node.get("maxLength", 10**9)
        )
    return st.text(min_size=low, max_size=max(low, high))
