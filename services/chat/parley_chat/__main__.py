"""`python -m parley_chat`: run the chat service with `PARLEY_CHAT_*` settings."""

from parley_runtime.lifecycle import run_service

from .bootstrap import start
from .settings import ChatSettings


def main() -> None:
    settings = ChatSettings()
    run_service("chat", settings, lambda bus: start(bus, settings))


if __name__ == "__main__":
    main()
