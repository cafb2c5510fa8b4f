"""The base of every frame a client sends, on either socket: it reads both forms.

The seed's browser hooks (the seed: PersonalLearningPro's chat, which Parley stays
compatible with) put a frame's fields beside `type` (flat: `{"type": "typing",
"recipientId": 14}`); the seed's `/messagepal` server answers in envelopes, and Parley's
`/messagepal` contract took that form for client frames too (enveloped: `{"type":
"typing", "payload": {"recipientId": 14}}`). A client frame on either socket accepts
either form and validates to the same model; a frame whose `payload` is there but not
an object is neither, and is refused. What the server sends keeps its one form.
"""

from typing import Any

from pydantic import model_validator
from pydantic.json_schema import GetJsonSchemaHandler, JsonSchemaValue
from pydantic_core import CoreSchema

from .base import Contract

PAYLOAD = "payload"
ENVELOPE_FIELDS = ("type", "timestamp")
"""What stays beside `payload` in the enveloped form."""
NEITHER = "payload must be an object holding the frame's fields"


class ClientFrame(Contract):
    """A client → server frame. Its fields are either its own (flat frames, `/ws/chat`)
    or one `payload` model's (enveloped frames, `/messagepal`); either way the other
    form is read too."""

    @classmethod
    def _enveloped(cls) -> bool:
        return PAYLOAD in cls.model_fields

    @model_validator(mode="before")
    @classmethod
    def _read_either_form(cls, data: Any) -> Any:
        # Pydantic validates what this returns as Python objects, not JSON: strict
        # fields that parse text (datetimes) would refuse it, so client frames hold none.
        if not isinstance(data, dict):
            return data
        if PAYLOAD in data and not isinstance(data[PAYLOAD], dict):
            raise ValueError(NEITHER)
        if cls._enveloped() and PAYLOAD not in data:
            outside = {key: value for key, value in data.items() if key in ENVELOPE_FIELDS}
            return {**outside, PAYLOAD: {key: value for key, value in data.items() if key not in ENVELOPE_FIELDS}}
        if not cls._enveloped() and PAYLOAD in data:
            return {**data[PAYLOAD], **{key: data[key] for key in ENVELOPE_FIELDS if key in data}}
        return data

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        if handler.mode != "validation":
            return schema  # the server never sends a client frame
        own = handler.resolve_ref_schema(schema)
        properties, required = own.pop("properties"), own.pop("required", [])
        own.pop("type", None)
        envelope = {key: value for key, value in properties.items() if key in ENVELOPE_FIELDS}
        envelope_required = [key for key in required if key in ENVELOPE_FIELDS]
        if cls._enveloped():
            payload = handler.resolve_ref_schema(properties[PAYLOAD])
            fields, fields_required = payload["properties"], payload.get("required", [])
        else:
            fields = {key: value for key, value in properties.items() if key not in ENVELOPE_FIELDS}
            fields_required = [key for key in required if key not in ENVELOPE_FIELDS]
        flat = {
            "type": "object",
            "properties": {**envelope, **fields},
            "required": envelope_required + fields_required,
            "not": {"required": [PAYLOAD]},
        }
        enveloped = {
            "type": "object",
            "properties": {**envelope, PAYLOAD: {"type": "object", "properties": fields, "required": fields_required}},
            "required": [*envelope_required, PAYLOAD],
        }
        own["anyOf"] = [flat, enveloped]
        return schema
