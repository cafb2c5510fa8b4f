"""`python -m parley_auth`: run the auth service with `PARLEY_AUTH_*` settings."""

from parley_runtime.lifecycle import run_service

from .bootstrap import start
from .settings import AuthSettings


def main() -> None:
    settings = AuthSettings()
    run_service("auth", settings, lambda bus: start(bus, settings))


if __name__ == "__main__":
    main()
