"""Test-only failpoints, all behind this one hook: a test names a point in a service's
`FAILPOINT` setting, and the process SIGKILLs itself when it reaches that point, the
way a crash would. Unset (production), every point is a comparison and nothing more."""

import os
import signal


def crash_at(point: str, failpoint: str | None) -> None:
    """Die here when `failpoint` names this `point`."""
    if failpoint == point:
        os.kill(os.getpid(), signal.SIGKILL)
