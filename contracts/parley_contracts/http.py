"""Bodies of the public HTTP API that are not already a command's shape."""

from typing import Annotated

from pydantic import Field

from .base import Contract
from .errors import ErrorBody


class LoginBody(Contract):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=256)]


class ErrorResponse(Contract):
    """Every 4xx/5xx body."""

    error: ErrorBody


class Ok(Contract):
    ok: bool = True
