"""Error codes and the error shape shared by replies, HTTP bodies and `error` frames."""

from enum import StrEnum
from typing import Any

from .base import Contract


class ErrorCode(StrEnum):
    BAD_REQUEST = "bad_request"
    INVALID_JSON = "invalid_json"
    UNKNOWN_TYPE = "unknown_type"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    RATE_LIMITED = "rate_limited"
    TOO_LARGE = "too_large"
    BLOCKED = "blocked"
    UNAVAILABLE = "unavailable"
    INTERNAL = "internal"


class ErrorBody(Contract):
    """What went wrong, readable by a person and by code."""

    code: ErrorCode
    message: str
    details: list[dict[str, Any]] | None = None
