"""The envelope of every NATS reply: either `ok` with data, or an error.

One envelope for all commands keeps the transport generic: a caller decodes the
envelope, then the data with the command's own reply model.
"""

from typing import Any, Literal

from .base import Contract
from .errors import ErrorBody


class OkReply(Contract):
    ok: Literal[True] = True
    data: dict[str, Any]


class ErrorReply(Contract):
    ok: Literal[False] = False
    error: ErrorBody


class Empty(Contract):
    """The reply of a command that returns nothing but success."""
