"""`python -m parley_stack` (`make up`): the whole stack on its embedded default."""

import signal
import sys
import threading

from .launcher import run
from .settings import StackSettings


def main() -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    sys.exit(run(StackSettings(), stop))


if __name__ == "__main__":
    main()
