"""When an unanswered request counts as late, so that a copy is sent again.

TCP's answer (RFC 6298): a smoothed mean of the answers' times plus four times their
mean deviation, never below a floor; each resend doubles it (Karn), and only answers
to requests sent once are measured. A responder that died leaves its requests late
against an estimate its live peers keep short, so they are resent soon; a service
that is slow for everyone raises the estimate, so it is not sent every request twice
or three times just when it can least afford it.
"""


class Lateness:
    def __init__(self, floor_s: float, ceiling_s: float):
        self.floor_s = floor_s
        self.ceiling_s = ceiling_s
        self._mean: float | None = None
        self._deviation = 0.0
        self._late_after = floor_s

    @property
    def late_after_s(self) -> float:
        return self._late_after

    def answered(self, seconds: float) -> None:
        """An answer to a request sent once came after `seconds`."""
        if self._mean is None:
            self._mean, self._deviation = seconds, seconds / 2
        else:
            self._deviation = 0.75 * self._deviation + 0.25 * abs(self._mean - seconds)
            self._mean = 0.875 * self._mean + 0.125 * seconds
        self._late_after = min(self.ceiling_s, max(self.floor_s, self._mean + 4 * self._deviation))

    def resent(self) -> None:
        """A request was late and went again: wait longer before the next resend."""
        self._late_after = min(self.ceiling_s, 2 * self._late_after)
