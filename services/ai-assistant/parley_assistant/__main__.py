"""`python -m parley_assistant`: run the assistant with `PARLEY_ASSISTANT_*` settings."""

from parley_runtime.lifecycle import run_service

from .bootstrap import start
from .settings import AssistantSettings


def main() -> None:
    settings = AssistantSettings()
    run_service("assistant", settings, lambda bus: start(bus, settings))


if __name__ == "__main__":
    main()
