"""`python -m parley_stack.nats_passwords FILE`: the NATS users' passwords, written as
quoted variables for the server configuration to include.

nats-server reads `$VAR` from the environment as if the value were written into its
configuration: an all-digit password becomes a number, `true` a boolean, and `#` starts
a comment. Written here as quoted, escaped strings, any password means itself. Each
comes from `<SERVICE>_NATS_PASSWORD`, or from the file `<SERVICE>_NATS_PASSWORD_FILE`
names (compose secrets); none may be shorter than `MIN_PASSWORD_CHARS`.
"""

import os
import sys
from pathlib import Path

from pydantic import ValidationError, field_validator
from pydantic_settings import SettingsConfigDict

from parley_runtime.settings import SecretSettings

from .nats_permissions import REQUESTS, password_variable

MIN_PASSWORD_CHARS = 16
ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


class NatsPasswords(SecretSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    auth_nats_password: str = ""
    chat_nats_password: str = ""
    dm_nats_password: str = ""
    edge_nats_password: str = ""
    assistant_nats_password: str = ""

    @field_validator("*")
    @classmethod
    def _long_enough(cls, value: str) -> str:
        if len(value) < MIN_PASSWORD_CHARS:
            raise ValueError(f"set it, {MIN_PASSWORD_CHARS} characters or more (any characters)")
        return value


def quoted(value: str) -> str:
    if any(ord(char) < 32 and char not in ESCAPES for char in value):
        raise ValueError("a NATS password may not hold control characters")
    return '"' + "".join(ESCAPES.get(char, char) for char in value) + '"'


def passwords_config(passwords: dict[str, str]) -> str:
    """`passwords` by service name, as the variables `server_config` refers to."""
    lines = [f"{password_variable(service)}: {quoted(passwords[service])}" for service in REQUESTS]
    return "# Written by `python -m parley_stack.nats_passwords`; secret.\n" + "\n".join(lines) + "\n"


def write(path: Path, passwords: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)  # nats-server reads it as another user
    with os.fdopen(fd, "w") as out:
        out.write(passwords_config(passwords))


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: python -m parley_stack.nats_passwords FILE")
    try:
        settings = NatsPasswords()
    except ValidationError as exc:  # its own message would quote the value; these name the variable
        sys.exit("nats_passwords: " + "; ".join(f"{str(e['loc'][0]).upper()}: {e['msg']}" for e in exc.errors()))
    write(Path(sys.argv[1]), {service: getattr(settings, f"{service}_nats_password") for service in REQUESTS})


if __name__ == "__main__":
    main()
