"""Base model and field types shared by every contract.

Wire names are camelCase, as the clients of the seed (PersonalLearningPro's chat
protocol, which Parley stays compatible with) speak them; Python names are snake_case.
Validation is strict so a wrong JSON type is refused instead of silently coerced.
"""

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

JS_SAFE_MAX = 2**53 - 1
"""Ids sent to clients must fit a JavaScript number exactly."""

Id = Annotated[int, Field(ge=1, le=JS_SAFE_MAX)]
Seq = Annotated[int, Field(ge=1, le=JS_SAFE_MAX)]
LastSeq = Annotated[int, Field(ge=0, le=JS_SAFE_MAX)]
Epoch = Annotated[str, Field(max_length=32, pattern=r"^[0-9a-f]*$")]
"""Which life of a stream a `seq` belongs to: a short random id its store makes at the
stream's first append, new whenever the stream starts again (a store wiped or restored
from a backup, a stream reset). A position in a stream is (epoch, seq); "" while the
stream is empty."""
ClientMsgId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]
MAX_CONTENT_CHARS = 4000


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be blank")
    return text


Content = Annotated[str, Field(min_length=1, max_length=MAX_CONTENT_CHARS), AfterValidator(_not_blank)]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Contract(BaseModel):
    """Base of every wire model."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        strict=True,
        frozen=True,
        extra="ignore",
    )

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()
