"""One exception family: the CLI turns any HarnessError into a one-line message and exit code.

`warn(message)` is the one way the library tells the user about something suspicious that is not
an error (a review that parses to no finding): a `HarnessWarning`, which the CLI prints as one
`harness: warning: ...` line on stderr.
"""

import warnings


class HarnessError(Exception):
    """An expected failure with a message fit for one line on stderr."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.hint = hint

    def one_line(self) -> str:
        msg = " ".join(str(self).split())
        return f"{msg} ({self.hint})" if self.hint else msg


class NotFound(HarnessError):
    """A report, run, program or agent that the store does not hold."""


class ParseError(HarnessError):
    """A report (or review) that cannot be parsed at all."""


class StoreError(HarnessError):
    """The DuckDB file cannot be opened, is locked by another process, or is damaged."""


class ModelError(HarnessError):
    """Unknown model, dead endpoint, or an error budget exhausted."""


class Interrupted(HarnessError):
    """Ctrl-C: what finished is stored; the message says how to go on."""

    exit_code = 130


class GateFailed(HarnessError):
    """Not an error: the regression gate verdict was 'fail'."""

    exit_code = 1


class HarnessWarning(UserWarning):
    """Suspicious input that is not an error (see `warn`)."""


def warn(message: str) -> None:
    warnings.warn(message, HarnessWarning, stacklevel=2)
