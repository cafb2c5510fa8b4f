"""The committed JSON Schema / AsyncAPI export matches a fresh one, and is well-formed."""

import json
from pathlib import Path

import jsonschema
import pytest

from parley_contracts import export, subjects

COMMITTED = export.DEFAULT_DIR


def test_committed_export_is_current(tmp_path: Path):
    export.write(tmp_path)
    fresh = {p.name: p.read_text() for p in tmp_path.glob("*.json")}
    committed = {p.name: p.read_text() for p in COMMITTED.glob("*.json")}
    assert sorted(committed) == sorted(fresh), "run `make schemas` and commit contracts/schemas/"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"stale export {stale}: run `make schemas` and commit contracts/schemas/"


@pytest.mark.parametrize("name", sorted(n for n in export.documents() if n.endswith(".schema.json")))
def test_every_schema_is_valid_json_schema(name):
    jsonschema.Draft202012Validator.check_schema(export.documents()[name])


def test_asyncapi_has_every_subject_with_its_payload():
    doc = json.loads((COMMITTED / "asyncapi.json").read_text())
    assert doc["asyncapi"] == "3.0.0"
    addresses = {channel["address"] for channel in doc["channels"].values()}
    assert {c.subject for c in subjects.COMMANDS} <= addresses
    assert {t.template for t in subjects.TOPICS} <= addresses
    for channel in doc["channels"].values():
        for ref in channel["messages"].values():
            message = doc["components"]["messages"][ref["$ref"].rsplit("/", 1)[1]]
            schema_name = message["payload"]["$ref"].rsplit("/", 1)[1]
            assert schema_name in doc["components"]["schemas"]
