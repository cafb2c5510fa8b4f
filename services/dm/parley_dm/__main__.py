"""`python -m parley_dm`: run the DM service with `PARLEY_DM_*` settings."""

from parley_runtime.lifecycle import run_service

from .bootstrap import start
from .settings import DmSettings


def main() -> None:
    settings = DmSettings()
    run_service("dm", settings, lambda bus: start(bus, settings))


if __name__ == "__main__":
    main()
