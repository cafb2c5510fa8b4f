"""Errors that cross service boundaries, each carrying a contract error code."""

from typing import Any

from parley_contracts.errors import ErrorBody, ErrorCode


class ParleyError(Exception):
    """A refusal with a code a client can act on. Handlers raise it; the bus replies with it."""

    def __init__(self, code: ErrorCode, message: str, details: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    def body(self) -> ErrorBody:
        return ErrorBody(code=self.code, message=self.message, details=self.details)

    @classmethod
    def from_body(cls, body: ErrorBody) -> "ParleyError":
        return cls(body.code, body.message, body.details)

    def __repr__(self) -> str:
        return f"ParleyError({self.code.value!r}, {self.message!r})"
