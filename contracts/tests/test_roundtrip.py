"""Every contract model survives JSON and back unchanged, on data drawn from its own schema."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from pydantic import ValidationError

from parley_contracts.export import MODULES, models_of
from parley_testkit.schema_strategies import from_schema

ALL_MODELS = [model for module in MODULES for model in models_of(module)]


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: f"{m.__module__.rsplit('.', 1)[1]}.{m.__name__}")
def test_model_round_trips(model):
    accepted = 0

    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(data=from_schema(model.model_json_schema()))
    def round_trip(data):
        nonlocal accepted
        try:
            first = model.model_validate_json(json.dumps(data))
        except ValidationError:
            return  # JSON Schema cannot say all a validator checks (blank text, e-mail rules)
        accepted += 1
        assert model.model_validate_json(first.to_json()) == first

    round_trip()
    assert accepted > 0, f"no schema-valid example of {model.__name__} validated"


def test_all_contract_modules_are_covered():
    assert {m.__name__.rsplit(".", 1)[1] for m in MODULES} == {
        "auth",
        "chat",
        "dm",
        "signals",
        "errors",
        "replies",
        "http",
        "chat_frames",
        "messagepal_frames",
        "message_changes",
        "message_change_frames",
        "threads",
        "unread",
    }
